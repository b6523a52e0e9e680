package auth_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"testing"

	"github.com/xroam/xroam/sdk/auth"
)

// independent computes the client's response with crypto/hmac directly,
// as written in the protocol notes, to check the package's math.
func independent(password, serverSalt, clientSalt []byte) []byte {
	m := hmac.New(sha256.New, clientSalt)
	m.Write(serverSalt)
	salt := []byte(hex.EncodeToString(m.Sum(nil)))
	m2 := hmac.New(sha512.New, password)
	m2.Write(salt)
	return []byte(hex.EncodeToString(m2.Sum(nil)))
}

func TestChallengeMath(t *testing.T) {
	serverSalt := bytes.Repeat([]byte{0x5a}, 64)
	clientSalt := []byte("0123456789abcdef0123456789abcdef")
	pw := []byte("s3cret")
	want := independent(pw, serverSalt, clientSalt)
	c, err := auth.ClientResponse("hmac+sha512", "hmac+sha256", serverSalt, clientSalt, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Response, want) {
		t.Fatalf("response %s, want %s", c.Response, want)
	}
	// A fixed vector computed with Python's hmac module, so that the math
	// cannot drift together with the helper above.
	const fixed = "2021b957e599abb99196148f4ee7fd3c3a1ff20bf431777551acc3c875c697998b33583e8663613bad836587dbb6f0fb47c3b3e0024702ccb7636bbb3076bc1b"
	if string(c.Response) != fixed {
		t.Fatalf("response %s, want the fixed vector", c.Response)
	}
	tests := []struct {
		name string
		pw   string
		ok   bool
	}{{"right", "s3cret", true}, {"wrong", "s3cret!", false}, {"empty", "", false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Verify([]byte(tt.pw)); got != tt.ok {
				t.Fatalf("Verify(%q) = %v", tt.pw, got)
			}
		})
	}
}

func TestXORRecoversPassword(t *testing.T) {
	serverSalt := bytes.Repeat([]byte{1, 2, 3}, 20)
	clientSalt := bytes.Repeat([]byte{9}, 60)
	for _, pw := range []string{"a", "pässwörd", string(bytes.Repeat([]byte("long"), 40))} {
		c, err := auth.ClientResponse(auth.XOR, "hmac+sha256", serverSalt, clientSalt, []byte(pw))
		if err != nil {
			t.Fatal(err)
		}
		// The salt the client xors with is the hex HMAC of the salts.
		m := hmac.New(sha256.New, clientSalt)
		m.Write(serverSalt)
		salt := []byte(hex.EncodeToString(m.Sum(nil)))
		for i := range c.Response {
			want := pw[i]
			if i < len(salt) {
				want ^= salt[i]
			}
			if c.Response[i] != want {
				t.Fatalf("xor byte %d", i)
			}
		}
		got, err := c.Password()
		if err != nil || string(got) != pw {
			t.Fatalf("Password() = %q, %v", got, err)
		}
		if !c.Verify([]byte(pw)) || c.Verify([]byte(pw+"x")) {
			t.Fatal("xor verify")
		}
	}
}

func TestDigests(t *testing.T) {
	tests := []struct {
		module, client []string
		want           string
	}{
		{auth.HMACDigests(), []string{"xor", "hmac", "hmac+sha256", "hmac+sha512"}, "hmac+sha512"},
		{[]string{auth.XOR}, []string{"xor", "hmac+sha256"}, "xor"},
		{[]string{auth.XOR}, []string{"hmac+sha256"}, ""},
	}
	for _, tt := range tests {
		if got := auth.ChooseDigest(tt.module, tt.client); got != tt.want {
			t.Errorf("ChooseDigest(%v, %v) = %q, want %q", tt.module, tt.client, got, tt.want)
		}
	}
	for _, d := range append(auth.HMACDigests(), "hmac+sha3_256") {
		c, err := auth.ClientResponse(d, d, []byte("s"), []byte("c"), []byte("pw"))
		if err != nil || !c.Verify([]byte("pw")) {
			t.Errorf("%s: %v", d, err)
		}
	}
	if _, err := auth.ClientResponse("hmac+nope", "hmac+sha256", nil, nil, nil); err == nil {
		t.Error("unknown digest accepted")
	}
}

func TestCheckPassword(t *testing.T) {
	c, _ := auth.ClientResponse("hmac+sha256", "hmac+sha256", []byte("server"), []byte("client"), []byte("pw"))
	tests := []struct {
		name string
		req  auth.Request
		ok   bool
	}{
		{"clear right", auth.Request{HasPassword: true, Password: []byte("pw")}, true},
		{"clear wrong", auth.Request{HasPassword: true, Password: []byte("px")}, false},
		{"none", auth.Request{}, false},
		{"challenge", auth.Request{Challenge: c}, true},
	}
	for _, tt := range tests {
		if got := auth.CheckPassword(&tt.req, []byte("pw")); got != tt.ok {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
	if _, err := auth.ClearPassword(&auth.Request{Challenge: c}); err == nil {
		t.Error("ClearPassword from an hmac challenge")
	}
}
