-- goose runs this file in a transaction, so CONCURRENTLY fails here.
-- +goose Up
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL);
CREATE INDEX orders_user_id_idx ON orders (user_id);
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);

-- +goose Down
DROP TABLE orders;
