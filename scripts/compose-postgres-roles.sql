-- compose.yaml's Postgres asks for passwords, so the roles the API and the
-- worker connect as are created here, with passwords, on the first start of
-- an empty volume; the row_level_security migration grants them the rest.
-- Change the passwords (here and in compose.yaml) for anything but a trial.
CREATE ROLE sigfed_api LOGIN PASSWORD 'sigfed_api' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
CREATE ROLE sigfed_worker LOGIN PASSWORD 'sigfed_worker' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
