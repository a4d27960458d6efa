-- The schema as it is in production: users has millions of rows.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
