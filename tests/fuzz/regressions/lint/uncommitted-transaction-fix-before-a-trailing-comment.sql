-- args: --asu-imsen-transaction
BEGIN-- "StatTABLE users ADD COLUMN nickname text;
