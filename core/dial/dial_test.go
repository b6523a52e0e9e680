package dial

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/sockdir"
)

func TestDialOptionErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{SSLServerVerifyMode: "maybe"}, "ssl-server-verify-mode"},
		{Options{SSLProtocol: "SSLv3"}, "ssl-protocol"},
		{Options{SSLCACerts: filepath.Join(dir, "missing.pem")}, "ssl-ca-certs"},
		{Options{SSLCACerts: notPEM}, "no PEM certificate"},
		{Options{SSLCAData: "not a certificate"}, "ssl-ca-data"},
	} {
		tg := Target{Network: "ssl", Address: "127.0.0.1:1", Display: -1, Opts: tt.opts}
		if _, _, err := Connect(context.Background(), sockdir.Paths{}, tg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Connect with %+v: %v, want an error about %s", tt.opts, err, tt.want)
		}
	}
	tg := Target{Network: "ssh", Address: "host", Display: 1, Opts: Options{SSH: "'unbalanced"}}
	if _, _, err := Connect(context.Background(), sockdir.Paths{}, tg); err == nil || !strings.Contains(err.Error(), "--ssh") {
		t.Errorf("Connect with a broken --ssh: %v", err)
	}
	for _, o := range []Options{{Encryption: "DES"}, {Encryption: "AES"}, {Encryption: "AES", EncryptionKeyfile: filepath.Join(dir, "nokey")}} {
		if cc, err := NewCipher(o); err == nil {
			t.Errorf("NewCipher(%+v) = %v, want an error", o, cc)
		}
	}
}
