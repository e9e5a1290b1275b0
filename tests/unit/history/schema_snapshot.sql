-- index context_files_hash
CREATE INDEX context_files_hash ON context_files (hash);

-- index sessions_workspace
CREATE INDEX sessions_workspace ON sessions (workspace_id, updated);

-- index sqlite_autoindex__migrations_1
(automatic);

-- index sqlite_autoindex_active_sessions_1
(automatic);

-- index sqlite_autoindex_context_files_1
(automatic);

-- index sqlite_autoindex_contexts_1
(automatic);

-- index sqlite_autoindex_messages_1
(automatic);

-- index sqlite_autoindex_messages_2
(automatic);

-- index sqlite_autoindex_sessions_1
(automatic);

-- index sqlite_autoindex_snapshots_1
(automatic);

-- index sqlite_autoindex_summaries_1
(automatic);

-- index sqlite_autoindex_workspaces_1
(automatic);

-- index workspaces_remote_key
CREATE INDEX workspaces_remote_key ON workspaces (remote_key);

-- table _migrations
CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL);

-- table active_sessions
CREATE TABLE active_sessions (
            workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE
        );

-- table context_files
CREATE TABLE context_files (
            message_id TEXT NOT NULL REFERENCES contexts (message_id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            hash TEXT NOT NULL,
            PRIMARY KEY (message_id, path)
        );

-- table contexts
CREATE TABLE contexts (
            message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
            manifest TEXT NOT NULL,
            created TEXT NOT NULL
        );

-- table messages
CREATE TABLE messages (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('complete', 'partial', 'cancelled', 'error')),
            created TEXT NOT NULL,
            model TEXT,
            usage TEXT,
            turn_id TEXT,
            error TEXT,
            UNIQUE (session_id, seq)
        );

-- table messages_fts
CREATE VIRTUAL TABLE messages_fts USING fts5 (
            content,
            content = 'messages',
            content_rowid = 'pk',
            tokenize = 'unicode61 remove_diacritics 2'
        );

-- table messages_fts_config
CREATE TABLE 'messages_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table messages_fts_data
CREATE TABLE 'messages_fts_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table messages_fts_docsize
CREATE TABLE 'messages_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table messages_fts_idx
CREATE TABLE 'messages_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table sessions
CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            title TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            archived INTEGER NOT NULL DEFAULT 0
        );

-- table snapshots
CREATE TABLE snapshots (
            hash TEXT PRIMARY KEY,
            text TEXT NOT NULL
        );

-- table summaries
CREATE TABLE summaries (
            session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
            up_to_seq INTEGER NOT NULL,
            text TEXT NOT NULL,
            updated TEXT NOT NULL
        );

-- table workspaces
CREATE TABLE workspaces (
            id TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            remote TEXT,
            remote_key TEXT,
            created TEXT NOT NULL
        );

-- trigger messages_fts_delete
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
                VALUES ('delete', old.pk, old.content);
        END;

-- trigger messages_fts_insert
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts (rowid, content) VALUES (new.pk, new.content);
        END;

-- trigger messages_fts_update
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
                VALUES ('delete', old.pk, old.content);
            INSERT INTO messages_fts (rowid, content) VALUES (new.pk, new.content);
        END;
