package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/xroam/xroam/plugins/auth/modules/sqlite"
	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugintest"
)

func argon2id(pw string) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, 1, 8*1024, 1, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", 8*1024, 1, 1,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// MakeDB writes a users table with a clear, a bcrypt and an argon2id
// password.
func makeDB(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "users.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bc, err := bcrypt.GenerateFromPassword([]byte("bobpw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		"CREATE TABLE users (username TEXT PRIMARY KEY, password TEXT, uid TEXT, gid TEXT, displays TEXT, env_options TEXT, session_options TEXT)",
		"INSERT INTO users VALUES ('alice', 'alicepw', '1000', '1000', ':10,:11', 'A=1', 'share=yes')",
		fmt.Sprintf("INSERT INTO users VALUES ('bob', '%s', NULL, NULL, NULL, NULL, NULL)", bc),
		fmt.Sprintf("INSERT INTO users VALUES ('carol', '%s', '1002', '1002', '', '', '')", argon2id("carolpw")),
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestSqlite(t *testing.T) {
	dbPath := makeDB(t)
	plugintest.AuthConformance(t, sqlite.Plugin(), map[string]any{"filename": dbPath},
		plugintest.Credentials{Username: "alice", Password: "alicepw"}, plugintest.Credentials{Username: "alice", Password: "bobpw"})
	a := plugintest.Auth(t, sqlite.Plugin(), map[string]any{"filename": dbPath})
	tests := []struct {
		user, pw string
		ok       bool
	}{
		{"alice", "alicepw", true}, {"alice", "x", false},
		{"bob", "bobpw", true}, {"bob", "alicepw", false},
		{"carol", "carolpw", true}, {"carol", "carolpx", false},
		{"nobody", "alicepw", false},
	}
	for _, tt := range tests {
		r, err := plugintest.Login(context.Background(), a, plugintest.Credentials{Username: tt.user, Password: tt.pw})
		if auth.Allowed(r, err) != tt.ok {
			t.Errorf("%s/%s: %+v %v", tt.user, tt.pw, r, err)
		}
		if tt.user == "alice" && tt.ok && (!r.HasIDs || r.UID != 1000 || len(r.Displays) != 2 || r.SessionOptions["share"] != "yes") {
			t.Errorf("alice's session facts: %+v", r)
		}
	}
	// A hashed password cannot be checked through an HMAC digest.
	ch, _ := auth.ClientResponse("hmac+sha256", "hmac+sha256", []byte("s"), []byte("c"), []byte("bobpw"))
	if r, err := a.Authenticate(context.Background(), &auth.Request{Username: "bob", Challenge: ch}); auth.Allowed(r, err) {
		t.Error("bcrypt user allowed through an hmac digest")
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := sqlite.Plugin().New(context.Background(), map[string]any{"filename": "/nonexistent/x.db", "password_query": sqlite.DefaultPasswordQuery}); err == nil {
		t.Fatal("a missing database was accepted")
	}
}
