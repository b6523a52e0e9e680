package plugintest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/xroam/xroam/sdk"
	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

type configurer interface {
	Configure(ctx context.Context, apiVersion int, cfg schema.Values) error
}

// dispense serves p over an in-memory gRPC connection closed at the end of
// the test, and returns its configured client.
func dispense(t testing.TB, p plugin.Servable, cfg map[string]any) (any, error) {
	t.Helper()
	client, server := goplugin.TestPluginGRPCConn(t, false, plugin.PluginSet(p))
	t.Cleanup(func() {
		// The server first: a client closing first asks the server
		// to stop itself, racing with this Stop.
		server.Stop()
		_ = client.Close()
	})
	raw, err := client.Dispense(p.Describe().Kind)
	if err != nil {
		t.Fatalf("dispense: %v", err)
	}
	// The host sends the configuration after checking it against the
	// schema; do the same so that defaults apply.
	vals, err := p.Describe().Schema.Check(cfg)
	if err != nil {
		return nil, err
	}
	if err := raw.(configurer).Configure(context.Background(), negotiate(p.Describe().APIVersions), vals); err != nil {
		return nil, err
	}
	return raw, nil
}

// negotiate is the host's choice: the highest version both speak, 0 if
// none.
func negotiate(plugin []int) int {
	best := 0
	for _, v := range plugin {
		if v > best && slices.Contains(sdk.APIVersions(), v) {
			best = v
		}
	}
	return best
}

// Auth serves p in-process through gRPC with configuration cfg and returns
// the host's view of it. It fails the test if the plugin refuses cfg.
func Auth(t testing.TB, p plugin.Auth, cfg map[string]any) auth.Authenticator {
	t.Helper()
	raw, err := dispense(t, p, cfg)
	if err != nil {
		t.Fatalf("configuring %s: %v", p.Name, err)
	}
	return raw.(auth.Authenticator)
}

// Encoder serves p in-process through gRPC with configuration cfg. Frames
// given to it travel through shared memory, as with a subprocess.
func Encoder(t testing.TB, p plugin.Encoder, cfg map[string]any) encoder.Encoder {
	t.Helper()
	raw, err := dispense(t, p, cfg)
	if err != nil {
		t.Fatalf("configuring %s: %v", p.Name, err)
	}
	c := raw.(*plugin.EncoderClient)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Credentials are one login attempt.
type Credentials struct {
	Username, Password string
	Peer               auth.Peer
}

// Login runs the whole challenge flow as the core and an xpra client
// would: Prepare, a challenge with the module's preferred digest (the
// client offers every digest), then Authenticate.
func Login(ctx context.Context, a auth.Authenticator, c Credentials) (*auth.Response, error) {
	offered := append(auth.HMACDigests(), auth.XOR)
	prep, err := a.Prepare(ctx, &auth.PrepareRequest{Username: c.Username, Peer: c.Peer, ClientDigests: offered})
	if err != nil {
		return nil, err
	}
	req := &auth.Request{Username: c.Username, Peer: c.Peer}
	if prep.Challenge {
		salt, err := auth.NewServerSalt()
		if err != nil {
			return nil, err
		}
		ch, err := auth.ClientResponse(auth.ChooseDigest(prep.Digests, offered), "hmac+sha256", salt, bytes.Repeat([]byte{7}, 32), []byte(c.Password))
		if err != nil {
			return nil, err
		}
		req.Challenge = ch
	}
	return a.Authenticate(ctx, req)
}

// AuthConformance checks what the host relies on: a sound description
// whose JSON is what `describe` prints, a refusal of unknown
// configuration, good credentials allowed through every digest the module
// offers, bad ones and empty requests denied.
func AuthConformance(t *testing.T, p plugin.Auth, cfg map[string]any, good, bad Credentials) {
	t.Helper()
	ctx := context.Background()
	describeConformance(t, p, plugin.KindAuth, cfg)
	a := Auth(t, p, cfg)
	t.Run("good credentials", func(t *testing.T) {
		prep, err := a.Prepare(ctx, &auth.PrepareRequest{Username: good.Username, Peer: good.Peer})
		if err != nil {
			t.Fatal(err)
		}
		digests := []string{""}
		if prep.Challenge {
			digests = prep.Digests
		}
		for _, d := range digests {
			req := &auth.Request{Username: good.Username, Peer: good.Peer}
			if d != "" {
				ch, err := auth.ClientResponse(d, "hmac+sha256", []byte("server-salt-server-salt-server-salt"), []byte("client-salt"), []byte(good.Password))
				if err != nil {
					t.Fatalf("digest %s: %v", d, err)
				}
				req.Challenge = ch
			}
			if r, err := a.Authenticate(ctx, req); !auth.Allowed(r, err) {
				t.Errorf("digest %q: good credentials denied: %+v, %v", d, r, err)
			}
		}
	})
	t.Run("bad credentials", func(t *testing.T) {
		if r, err := Login(ctx, a, bad); auth.Allowed(r, err) {
			t.Errorf("bad credentials allowed: %+v", r)
		}
	})
	t.Run("empty request", func(t *testing.T) {
		prep, err := a.Prepare(ctx, &auth.PrepareRequest{Username: good.Username, Peer: good.Peer})
		if err != nil {
			t.Fatal(err)
		}
		if !prep.Challenge {
			t.Skip("the module asks for no password")
		}
		if r, err := a.Authenticate(ctx, &auth.Request{Username: good.Username, Peer: good.Peer}); auth.Allowed(r, err) {
			t.Errorf("a request without credentials was allowed: %+v", r)
		}
	})
}

// describeConformance checks p's description and its refusal of an
// unknown attribute, for every kind.
func describeConformance(t *testing.T, p plugin.Servable, kind string, cfg map[string]any) {
	t.Helper()
	t.Run("describe", func(t *testing.T) {
		d := p.Describe()
		if d.Kind != kind || d.Name == "" || d.Version == "" {
			t.Errorf("description %+v: kind %s, a name and a version are required", d, kind)
		}
		if negotiate(d.APIVersions) == 0 {
			t.Errorf("API versions %v share none with the SDK's %v", d.APIVersions, sdk.APIVersions())
		}
		var out bytes.Buffer
		if rc := plugin.Main([]string{"describe"}, &out, io.Discard, p); rc != 0 {
			t.Fatalf("describe exited %d", rc)
		}
		var got plugin.Description
		if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.Name != d.Name || got.Kind != d.Kind {
			t.Errorf("describe printed %q (%v)", out.String(), err)
		}
		if _, err := d.Schema.Check(cfg); err != nil {
			t.Errorf("the test configuration does not pass the schema: %v", err)
		}
	})
	t.Run("unknown configuration refused", func(t *testing.T) {
		bogus := map[string]any{"xroam_conformance_no_such_attribute": "x"}
		for k, v := range cfg {
			bogus[k] = v
		}
		if _, err := dispense(t, p, bogus); err == nil {
			t.Error("an unknown attribute was accepted")
		}
	})
}
