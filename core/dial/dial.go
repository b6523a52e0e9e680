package dial

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/sockdir"
)

// Options say how a client reaches a target beyond its address. The
// zero value verifies TLS servers fully and runs "ssh -x" and "xroam".
type Options struct {
	// SSLCACerts is a PEM file or a directory of them with the certificate
	// authorities to trust; "" or "default": the system's.
	SSLCACerts string
	// SSLCAData is more certificate authorities: PEM, hex-encoded or
	// base64-encoded, as xpra takes them.
	SSLCAData string
	// SSLServerVerifyMode is "none" (no check at all), "optional" or
	// "required" (""): a client always checks when it checks.
	SSLServerVerifyMode string
	// SSLSkipHostname keeps the chain check but not the host name check
	// (--ssl-check-hostname=no).
	SSLSkipHostname bool
	// SSLServerHostname is the name sent (SNI) and expected in the
	// server's certificate; "": the target's host.
	SSLServerHostname string
	// SSLProtocol is the lowest TLS version: "TLSv1_2" ("") or "TLSv1_3".
	SSLProtocol string

	// SSH is the ssh command line ("": "ssh -x").
	SSH string
	// KeepSSH leaves the ssh process running when the connection closes
	// (--exit-ssh=no), for shared ssh master connections.
	KeepSSH bool
	// RemoteXroam is the command that runs xroam on the ssh server
	// ("": "xroam").
	RemoteXroam string

	// Encryption is xpra's packet encryption ("AES"; "": none), with the
	// key in EncryptionKeyfile.
	Encryption        string
	EncryptionKeyfile string
}

// Encrypted says whether the link itself hides what is sent (TLS, ssh),
// so that a password may go over it merely masked.
func (t Target) Encrypted() bool {
	switch t.Network {
	case "unix", "ssl", "quic", "wss", "ssh":
		return true
	}
	return false
}

// Connect connects to a target; display targets are looked up in p.
func Connect(ctx context.Context, p sockdir.Paths, t Target) (net.Conn, Target, error) {
	if t.Network == "unix" && t.Address == "" {
		sock, err := p.FindSocket(t.Display)
		if err != nil {
			return nil, t, err
		}
		t.Address = sock
	}
	var (
		nc  net.Conn
		err error
	)
	switch t.Network {
	case "unix", "tcp":
		d := net.Dialer{Timeout: 10 * time.Second}
		nc, err = d.DialContext(ctx, t.Network, t.Address)
	case "ssl":
		nc, err = dialTLS(ctx, t)
	case "quic":
		nc, err = dialQUIC(ctx, t)
	case "ws", "wss":
		nc, err = dialWebsocket(ctx, t)
	case "ssh":
		nc, err = dialSSH(ctx, t)
	default:
		err = fmt.Errorf("unknown network %q", t.Network)
	}
	if err != nil {
		return nil, t, fmt.Errorf("connecting to %s: %w", t, err)
	}
	return nc, t, nil
}

// clientTLSConfig is the TLS configuration of a client reaching t.
func clientTLSConfig(t Target) (*tls.Config, error) {
	o := t.Opts
	host, _, err := net.SplitHostPort(t.Address)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if o.SSLServerHostname != "" {
		cfg.ServerName = o.SSLServerHostname
	}
	switch o.SSLProtocol {
	case "", "TLSv1_2":
	case "TLSv1_3":
		cfg.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("unknown ssl-protocol %q (TLSv1_2, TLSv1_3)", o.SSLProtocol)
	}
	if o.SSLCACerts != "" && o.SSLCACerts != "default" {
		pool, err := loadCAs(o.SSLCACerts)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if o.SSLCAData != "" {
		pool := cfg.RootCAs
		if pool == nil {
			if pool, err = x509.SystemCertPool(); err != nil {
				pool = x509.NewCertPool()
			}
		}
		if !pool.AppendCertsFromPEM(decodeCAData(o.SSLCAData)) {
			return nil, errors.New("ssl-ca-data: no PEM certificate in it (PEM, hex or base64 of PEM)")
		}
		cfg.RootCAs = pool
	}
	switch o.SSLServerVerifyMode {
	case "", "required", "optional":
	case "none":
		cfg.InsecureSkipVerify = true
		return cfg, nil
	default:
		return nil, fmt.Errorf("unknown ssl-server-verify-mode %q (none, optional, required)", o.SSLServerVerifyMode)
	}
	if o.SSLSkipHostname {
		// Go checks the chain and the name together; do the chain alone.
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

// decodeCAData undoes the hex or base64 encoding of --ssl-ca-data.
func decodeCAData(s string) []byte {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil {
		return b
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b
	}
	return []byte(s)
}

// loadCAs reads a PEM file, or every file of a directory, into a pool.
func loadCAs(path string) (*x509.CertPool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ssl-ca-certs: %w", err)
	}
	files := []string{path}
	if fi.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("ssl-ca-certs: %w", err)
		}
		files = files[:0]
		for _, e := range ents {
			if !e.IsDir() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	pool := x509.NewCertPool()
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("ssl-ca-certs: %w", err)
		}
		if pool.AppendCertsFromPEM(b) {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("ssl-ca-certs: no PEM certificate in %s", path)
	}
	return pool, nil
}

func dialTLS(ctx context.Context, t Target) (net.Conn, error) {
	cfg, err := clientTLSConfig(t)
	if err != nil {
		return nil, err
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: cfg}
	return d.DialContext(ctx, "tcp", t.Address)
}

// dialWebsocket opens a websocket with the "binary" subprotocol, whose
// binary messages carry xpra's byte stream.
func dialWebsocket(ctx context.Context, t Target) (net.Conn, error) {
	d := websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		Subprotocols:     []string{"binary"},
		Proxy:            http.ProxyFromEnvironment,
	}
	if t.Network == "wss" {
		cfg, err := clientTLSConfig(t)
		if err != nil {
			return nil, err
		}
		d.TLSClientConfig = cfg
	}
	u := url.URL{Scheme: t.Network, Host: t.Address, Path: t.Path}
	ws, resp, err := d.DialContext(ctx, u.String(), nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("websocket upgrade refused: %s: %w", resp.Status, err)
		}
		return nil, err
	}
	return &wsConn{ws: ws}, nil
}

// wsConn presents a websocket as a byte stream: reads run through the
// messages, each write is one binary message.
type wsConn struct {
	ws  *websocket.Conn
	rmu sync.Mutex
	cur interface{ Read([]byte) (int, error) }
	wmu sync.Mutex
}

func (c *wsConn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.cur == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					return 0, io.EOF
				}
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				continue
			}
			c.cur = r
		}
		n, err := c.cur.Read(b)
		if errors.Is(err, io.EOF) {
			c.cur = nil
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

func (c *wsConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (c *wsConn) Close() error {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	return c.ws.Close()
}

func (c *wsConn) LocalAddr() net.Addr  { return c.ws.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr { return c.ws.RemoteAddr() }
func (c *wsConn) SetDeadline(t time.Time) error {
	return errors.Join(c.ws.SetReadDeadline(t), c.ws.SetWriteDeadline(t))
}
func (c *wsConn) SetReadDeadline(t time.Time) error  { return c.ws.SetReadDeadline(t) }
func (c *wsConn) SetWriteDeadline(t time.Time) error { return c.ws.SetWriteDeadline(t) }

// sshCommand is the argv that reaches t's server and runs the proxy verb
// there, which joins the session's unix socket.
func sshCommand(t Target) ([]string, error) {
	sshLine := t.Opts.SSH
	if sshLine == "" {
		sshLine = "ssh -x"
	}
	argv, err := config.SplitCommand(sshLine)
	if err != nil || len(argv) == 0 {
		return nil, fmt.Errorf("invalid --ssh command %q: %v", sshLine, err)
	}
	host := t.Address
	if h, port, err := net.SplitHostPort(t.Address); err == nil {
		host = h
		argv = append(argv, "-p", port)
	}
	if t.User != "" {
		argv = append(argv, "-l", t.User)
	}
	remote := t.Opts.RemoteXroam
	if remote == "" {
		remote = "xroam"
	}
	cmd := remote + " proxy"
	if t.Display >= 0 {
		cmd += " :" + strconv.Itoa(t.Display)
	}
	return append(argv, "-T", host, cmd), nil
}

// dialSSH runs ssh with one end of a socket pair as its standard input
// and output, so that the other end is a net.Conn with deadlines.
func dialSSH(ctx context.Context, t Target) (net.Conn, error) {
	argv, err := sshCommand(t)
	if err != nil {
		return nil, err
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	ours := os.NewFile(uintptr(fds[0]), "ssh-link")
	theirs := os.NewFile(uintptr(fds[1]), "ssh-stdio")
	defer theirs.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = theirs, theirs, os.Stderr
	if t.Opts.KeepSSH {
		// Its own session: a Ctrl-C of the client does not reach it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		ours.Close()
		return nil, fmt.Errorf("running %s: %w", argv[0], err)
	}
	nc, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	sc := &sshConn{Conn: nc, cmd: cmd, keep: t.Opts.KeepSSH, exited: make(chan struct{})}
	go func() {
		sc.waitErr = cmd.Wait()
		close(sc.exited)
	}()
	return sc, nil
}

// sshConn is the link to ssh; closing it ends ssh unless told to keep it.
type sshConn struct {
	net.Conn
	cmd     *exec.Cmd
	keep    bool
	once    sync.Once
	exited  chan struct{}
	waitErr error
}

func (c *sshConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		if c.keep {
			return
		}
		// ssh sees the end of its input and exits; give it a moment to say
		// goodbye to the server before ending it.
		select {
		case <-c.exited:
		case <-time.After(2 * time.Second):
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.exited:
			case <-time.After(2 * time.Second):
				_ = c.cmd.Process.Kill()
				<-c.exited
			}
		}
	})
	return err
}
