package modules

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/transport"
)

// Version is the version of the transports in this package.
const Version = "0.1.0"

// DefaultWWW is where --html=on and --html=auto look for the HTML5 client.
const DefaultWWW = "/usr/share/xroam/www"

// Attribute names; the core fills them from --ssl, --ssl-cert, … and
// --html.
const (
	AttrSSL              = "ssl"
	AttrSSLCert          = "ssl_cert"
	AttrSSLKey           = "ssl_key"
	AttrSSLCACerts       = "ssl_ca_certs"
	AttrSSLClientVerify  = "ssl_client_verify_mode"
	AttrSSLCiphers       = "ssl_ciphers"
	AttrSSLProtocol      = "ssl_protocol"
	AttrHTML             = "html"
	AttrHandshakeTimeout = "handshake_timeout"
	// AttrTCPProxy is --tcp-proxy: where the tcp transport forwards the
	// connections that are not for the server.
	AttrTCPProxy = "tcp_proxy"
	// AttrRFBUpgrade is --rfb-upgrade: how long a tcp connection may say
	// nothing before it is handed to the core as silent, for RFB.
	AttrRFBUpgrade = transport.RFBUpgradeOption
)

func commonSchema() schema.Schema {
	return schema.Schema{Attrs: []schema.Attr{
		{Name: AttrSSL, Type: schema.String, Default: "auto", Help: "TLS on tcp and ws sockets: auto, on, off, tcp (xpra protocol only) or www (https and wss only)"},
		{Name: AttrSSLCert, Type: schema.String, Help: "certificate file (PEM), may hold the key too"},
		{Name: AttrSSLKey, Type: schema.String, Help: "private key file (PEM), when not in ssl_cert"},
		{Name: AttrSSLCACerts, Type: schema.String, Default: "default", Help: "CA file or directory for client certificates (default: the system's)"},
		{Name: AttrSSLClientVerify, Type: schema.String, Default: "optional", Help: "client certificates: none, optional or required"},
		{Name: AttrSSLCiphers, Type: schema.String, Default: "DEFAULT", Help: "TLS 1.2 cipher suites (Go names, ':' or ',' separated; DEFAULT: Go's set)"},
		{Name: AttrSSLProtocol, Type: schema.String, Default: "TLSv1_2", Help: "lowest TLS version: TLSv1_2 or TLSv1_3"},
		{Name: AttrHTML, Type: schema.String, Default: "auto", Help: "HTTP on websocket ports: on, off, auto or a directory to serve"},
		{Name: AttrHandshakeTimeout, Type: schema.Duration, Default: "15s", Help: "time a new connection has to identify itself and finish its handshake"},
	}}
}

// tcpSchema is the tcp transport's: the common attributes and
// tcp_proxy, which only a tcp socket shared with another server uses.
func tcpSchema() schema.Schema {
	s := commonSchema()
	s.Attrs = append(s.Attrs, schema.Attr{Name: AttrTCPProxy, Type: schema.String,
		Help: "HOST:PORT to forward, byte for byte, the connections that speak neither xpra's protocol nor the TLS or HTTP this transport serves (empty: close them)"},
		schema.Attr{Name: AttrRFBUpgrade, Type: schema.Duration, Default: "0s",
			Help: "hand a connection that sends nothing for this long to the server at once, for its RFB upgrade (0s: wait handshake_timeout)"})
	return s
}

// sslMode normalises --ssl.
func sslMode(v string) (string, error) {
	switch strings.ToLower(v) {
	case "", "auto":
		return "auto", nil
	case "on", "yes", "true", "1":
		return "on", nil
	case "off", "no", "false", "0":
		return "off", nil
	case "tcp", "www":
		return strings.ToLower(v), nil
	}
	return "", fmt.Errorf("ssl=%q: want auto, on, off, tcp or www", v)
}

// tlsConfig builds the server's TLS configuration, or nil when no
// certificate is configured.
func tlsConfig(cfg schema.Values) (*tls.Config, error) {
	// The cipher list is checked even without a certificate, so that a
	// mistake shows at start rather than once TLS is turned on.
	suites, err := cipherSuites(cfg.String(AttrSSLCiphers))
	if err != nil {
		return nil, err
	}
	certFile := cfg.String(AttrSSLCert)
	if certFile == "" {
		return nil, nil
	}
	keyFile := cfg.String(AttrSSLKey)
	if keyFile == "" {
		keyFile = certFile
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("ssl-cert %s / ssl-key %s: %w", certFile, keyFile, err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	switch cfg.String(AttrSSLProtocol) {
	case "", "TLSv1_2":
	case "TLSv1_3":
		tc.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("ssl-protocol=%q: want TLSv1_2 or TLSv1_3", cfg.String(AttrSSLProtocol))
	}
	tc.CipherSuites = suites
	mode := cfg.String(AttrSSLClientVerify)
	switch mode {
	case "none", "":
		tc.ClientAuth = tls.NoClientCert
		return tc, nil
	case "optional":
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("ssl-client-verify-mode=%q: want none, optional or required", mode)
	}
	pool, err := caPool(cfg.String(AttrSSLCACerts))
	if err != nil {
		return nil, err
	}
	tc.ClientCAs = pool
	return tc, nil
}

// caPool loads a CA file, a directory of them, or the system's set.
func caPool(path string) (*x509.CertPool, error) {
	if path == "" || path == "default" {
		p, err := x509.SystemCertPool()
		if err != nil {
			return nil, fmt.Errorf("system certificate authorities: %w", err)
		}
		return p, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ssl-ca-certs: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*"))
	}
	pool := x509.NewCertPool()
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pool.AppendCertsFromPEM(b) {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("ssl-ca-certs %s: no PEM certificate found", path)
	}
	return pool, nil
}

// cipherSuites maps a cipher list to Go's suites. Go does not let TLS 1.3
// suites be chosen, so the list applies to TLS 1.2.
func cipherSuites(list string) ([]uint16, error) {
	if list == "" || strings.EqualFold(list, "DEFAULT") {
		return nil, nil
	}
	known := map[string]uint16{}
	var names []string
	for _, s := range tls.CipherSuites() {
		known[s.Name] = s.ID
		names = append(names, s.Name)
	}
	var out []uint16
	for _, n := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		id, ok := known[n]
		if !ok {
			return nil, fmt.Errorf("ssl-ciphers: unknown or insecure suite %q (Go supports: %s)", n, strings.Join(names, ", "))
		}
		out = append(out, id)
	}
	if len(out) == 0 {
		return nil, errors.New("ssl-ciphers: empty list")
	}
	return out, nil
}

// htmlHandler serves the HTML5 client's files for --html, or returns nil
// when there is nothing to serve.
func htmlHandler(v string) (http.Handler, error) {
	dir := ""
	switch strings.ToLower(v) {
	case "off", "no", "false", "0":
		return nil, nil
	case "", "auto":
		if st, err := os.Stat(DefaultWWW); err == nil && st.IsDir() {
			dir = DefaultWWW
		} else {
			return nil, nil
		}
	case "on", "yes", "true", "1":
		dir = DefaultWWW
	default:
		dir = v
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("html=%s: %s is not a directory of the HTML5 client", v, dir)
	}
	h, err := newWWWHandler(dir, SharedJS)
	if err != nil {
		return nil, fmt.Errorf("html=%s: %w", v, err)
	}
	return h, nil
}

// htmlOff reports whether --html turns HTTP off on tcp sockets.
func htmlOff(v string) bool {
	switch strings.ToLower(v) {
	case "off", "no", "false", "0":
		return true
	}
	return false
}
