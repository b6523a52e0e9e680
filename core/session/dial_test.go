package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDialOptionErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	for _, tt := range []struct {
		opts DialOptions
		want string
	}{
		{DialOptions{SSLServerVerifyMode: "maybe"}, "ssl-server-verify-mode"},
		{DialOptions{SSLProtocol: "SSLv3"}, "ssl-protocol"},
		{DialOptions{SSLCACerts: filepath.Join(dir, "missing.pem")}, "ssl-ca-certs"},
		{DialOptions{SSLCACerts: notPEM}, "no PEM certificate"},
		{DialOptions{SSLCAData: "not a certificate"}, "ssl-ca-data"},
	} {
		tg := Target{Network: "ssl", Address: "127.0.0.1:1", Display: -1, Opts: tt.opts}
		if _, _, err := Dial(context.Background(), Paths{}, tg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Dial with %+v: %v, want an error about %s", tt.opts, err, tt.want)
		}
	}
	tg := Target{Network: "ssh", Address: "host", Display: 1, Opts: DialOptions{SSH: "'unbalanced"}}
	if _, _, err := Dial(context.Background(), Paths{}, tg); err == nil || !strings.Contains(err.Error(), "--ssh") {
		t.Errorf("Dial with a broken --ssh: %v", err)
	}
	for _, o := range []DialOptions{{Encryption: "DES"}, {Encryption: "AES"}, {Encryption: "AES", EncryptionKeyfile: filepath.Join(dir, "nokey")}} {
		if cc, err := NewClientCipher(o); err == nil {
			t.Errorf("NewClientCipher(%+v) = %v, want an error", o, cc)
		}
	}
}
