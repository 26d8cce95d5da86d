-- 0002: facts about the deployment that every instance must agree on, such
-- as which master key the database's sealed data was made with.
CREATE TABLE settings (
    name  text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);
