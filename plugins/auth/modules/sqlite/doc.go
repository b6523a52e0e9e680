// Package sqlite is the sqlite authentication module: users, passwords and
// their sessions are rows of an sqlite database, queried with the man
// page's password_query and sessions_query (both configurable). A stored
// password may be clear text, verified through the HMAC challenge, or a
// bcrypt or argon2id hash, which needs the clear password and so asks the
// client for the xor digest. It is its own package because the pure-Go
// sqlite driver is large and only this plugin binary needs it.
package sqlite
