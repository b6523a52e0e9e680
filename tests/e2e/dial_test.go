package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
)

// The client's transports against Debian's xpra 3.1.3 server: TLS with a
// certificate authority made here, websocket and secure websocket.

// testCA writes a certificate authority (ca.pem) and a server certificate
// with its key (server.pem) for the DNS name given, signed by it, to dir.
func testCA(t *testing.T, dir, dnsName string) (caFile, serverFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "xroam test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: dnsName},
		DNSNames:     []string{dnsName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(dir, "ca.pem")
	serverFile = filepath.Join(dir, "server.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)
	os.WriteFile(serverFile, append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})...), 0o600)
	return caFile, serverFile
}

// hasWindow says whether a top-level window of display matches.
func hasWindow(display int, match func(x11.WindowInfo) bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := x11.Probe(ctx, fmt.Sprintf(":%d", display))
	if err != nil {
		return true
	}
	return slices.ContainsFunc(info.Windows, match)
}

func TestAttachOverTLSAndWebsocketToXpraServer(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	ca, cert := testCA(t, e.Home, "xroam-test.example")
	sslPort, wsPort, wssPort := suite.FreePort(t), suite.FreePort(t), suite.FreePort(t)
	n, _ := e.startXpraServer("xterm -T tlstest",
		fmt.Sprintf("--bind-ssl=127.0.0.1:%d", sslPort), fmt.Sprintf("--bind-ws=127.0.0.1:%d", wsPort),
		fmt.Sprintf("--bind-wss=127.0.0.1:%d", wssPort), "--ssl-cert="+cert, "--ssl=on", "--html=on") // wss needs xpra's HTTP side
	caPEM, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	sslURI := fmt.Sprintf("ssl://127.0.0.1:%d/", sslPort)
	wsURI := fmt.Sprintf("ws://127.0.0.1:%d/", wsPort)
	wssURI := fmt.Sprintf("wss://127.0.0.1:%d/", wssPort)

	// The certificate is checked: unknown authority, then wrong name.
	if out, code := e.Run("version", sslURI); code == 0 || !strings.Contains(out, "certificate") {
		t.Errorf("version over TLS without the CA: exit %d, %q", code, out)
	}
	if out, code := e.Run("version", sslURI, "--ssl-ca-certs="+ca); code == 0 || !strings.Contains(out, "certificate") {
		t.Errorf("version over TLS with a host name not in the certificate: exit %d, %q", code, out)
	}
	for _, args := range [][]string{
		{"--ssl-ca-certs=" + ca, "--ssl-server-hostname=xroam-test.example"},
		{"--ssl-ca-certs=" + ca, "--ssl-check-hostname=no"},
		{"--ssl-ca-certs=" + filepath.Dir(ca), "--ssl-server-hostname=xroam-test.example"},
		{"--ssl-server-verify-mode=none"},
		{"--ssl-ca-data=" + hex.EncodeToString(caPEM), "--ssl-server-hostname=xroam-test.example"},
		{"--ssl-ca-data=" + base64.StdEncoding.EncodeToString(caPEM), "--ssl-server-hostname=xroam-test.example"},
	} {
		out, code := e.Run(append([]string{"version", sslURI}, args...)...)
		if code != 0 || strings.TrimSpace(out) != "3.1.3" {
			t.Errorf("version over TLS %v: exit %d, %q", args, code, out)
		}
	}
	if out, code := e.Run("info", wsURI); code != 0 || !strings.Contains(out, "server.build.version=3.1.3") {
		t.Errorf("info over websocket: exit %d\n%s", code, Tail(out, 20))
	}
	if out, code := e.Run("version", wssURI, "--ssl-ca-certs="+ca, "--ssl-server-hostname=xroam-test.example"); code != 0 || strings.TrimSpace(out) != "3.1.3" {
		t.Errorf("version over secure websocket: exit %d, %q", code, out)
	}

	// attach over each: the xterm appears on the client display.
	cd := ClientDisplay(t)
	isApp := func(w x11.WindowInfo) bool { return w.Mapped && strings.Contains(w.Title, "tlstest") }
	for _, args := range [][]string{
		{sslURI, "--ssl-ca-certs=" + ca, "--ssl-server-hostname=xroam-test.example"},
		{wsURI},
		{wssURI, "--ssl-ca-certs=" + ca, "--ssl-check-hostname=no"},
	} {
		a := e.Attach(cd, args...)
		WaitWindowOn(t, cd, "the xterm on the client over "+args[0], isApp)
		a.Cmd.Process.Signal(os.Interrupt)
		a.Wait(t, "")
		WaitFor(t, "the client window to go", func() bool { return !hasWindow(cd, isApp) })
	}
	if out, err := e.stopXpra(n); err != nil {
		t.Errorf("xpra stop: %v\n%s", err, out)
	}
}
