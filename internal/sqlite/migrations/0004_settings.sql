-- 0004: facts about the deployment that every instance must agree on, such
-- as which master key the database's sealed data was made with.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
