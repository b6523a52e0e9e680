package auth_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/xroam/xroam/sdk/auth"
)

// TestVNCResponse checks the DES step against the passwd file that
// `x11vnc -storepasswd password FILE` writes: the password encrypted the
// same way under VNC's fixed key. Then it checks verification both ways.
func TestVNCResponse(t *testing.T) {
	fixed := []byte{23, 82, 107, 6, 35, 78, 88, 7}
	stored, err := auth.VNCResponse(fixed, []byte("password"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := hex.DecodeString("dbd83cfd727a1458"); !bytes.Equal(stored, want) {
		t.Fatalf("DES step: %x, want %x", stored, want)
	}
	chal := make([]byte, 16)
	got, err := auth.VNCResponse([]byte("password"), chal)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got[:8], make([]byte, 8)) || !bytes.Equal(got[:8], got[8:]) {
		t.Fatalf("response %x: two equal blocks expected for a zero challenge", got)
	}
	c := &auth.Challenge{Digest: auth.VNCDES, ServerSalt: chal, Response: got}
	if !c.Verify([]byte("password")) {
		t.Error("the right password is refused")
	}
	if c.Verify([]byte("passworx")) || c.Verify(nil) {
		t.Error("a wrong password is accepted")
	}
	// Only the first 8 bytes count, as in every VNC implementation.
	if !c.Verify([]byte("password-and-more")) {
		t.Error("a password longer than 8 bytes is not cut")
	}
	if (&auth.Challenge{Digest: auth.VNCDES, ServerSalt: chal[:8], Response: got[:8]}).Verify([]byte("password")) {
		t.Error("a short challenge is accepted")
	}
}
