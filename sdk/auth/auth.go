package auth

import "context"

// Authenticator is what an authentication module implements. The host
// returns the same interface for a module run in-process and for one run
// as a plugin subprocess.
type Authenticator interface {
	// Prepare tells the caller what this module needs from the client
	// before Authenticate: whether to send a challenge and which digests
	// the module can verify for this user (preferred first).
	Prepare(ctx context.Context, req *PrepareRequest) (*PrepareResponse, error)
	// Authenticate decides. An error means deny.
	Authenticate(ctx context.Context, req *Request) (*Response, error)
}

// Peer describes the other end of the connection.
type Peer struct {
	// Network is "unix", "tcp", "ws", "wss", "ssl", "vsock", ...
	Network string
	// Addr is the remote address ("127.0.0.1:5000", "[::1]:5000", or a
	// socket path for unix).
	Addr string
	// HasCreds is true when UID, GID and PID come from SO_PEERCRED.
	HasCreds bool
	UID, GID uint32
	PID      int32
}

// PrepareRequest asks a module what it needs.
type PrepareRequest struct {
	Username string
	Peer     Peer
	Display  string
	// ClientDigests are the digests the client offered in its hello.
	ClientDigests []string
}

// PrepareResponse says what a module needs. A module that needs no
// password (allow, fail, peercred, hosts) leaves Challenge false.
type PrepareResponse struct {
	Challenge bool
	// Digests the module can verify, preferred first ("hmac+sha256",
	// ..., or only "xor" for a module that needs the clear password).
	Digests []string
	// Prompt is shown by clients that ask the user ("password").
	Prompt string
}

// Request is one authentication attempt. A connection that went through
// the wire challenge carries Challenge; a caller that holds a clear
// password (a test, a transport with its own login) sets Password and
// HasPassword instead.
type Request struct {
	Username    string
	Peer        Peer
	Display     string
	HasPassword bool
	Password    []byte
	Challenge   *Challenge
	// SocketType is the kind of listening socket ("unix", "tcp", ...).
	SocketType string
	// Encrypted is true when the link is encrypted (ssl, wss, AES).
	Encrypted bool
}

// Response is a module's decision and what it knows about the user.
type Response struct {
	Allowed bool
	// Reason explains a denial for the server log (never sent to the
	// client, which only learns "authentication failed").
	Reason string
	// Username is the authenticated user's name when the module knows
	// better than the client (multifile, sqlite).
	Username string
	// HasIDs is true when UID and GID are set.
	HasIDs   bool
	UID, GID uint32
	Env      map[string]string
	// Displays the user may attach to; empty means any.
	Displays       []string
	SessionOptions map[string]string
}

// Deny returns a denial with a reason.
func Deny(reason string) *Response { return &Response{Reason: reason} }

// Allowed reports whether resp, err is an allowance: a nil response or
// any error denies.
func Allowed(resp *Response, err error) bool {
	return err == nil && resp != nil && resp.Allowed
}
