package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/xroam/xroam/sdk"
	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/clipboard"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/schema"
)

// The plugin kinds.
const (
	KindAuth      = "auth"
	KindEncoder   = "encoder"
	KindClipboard = "clipboard"
	KindTransport = "transport"
)

// Handshake is the go-plugin handshake between xroam and its plugins: it
// stops a plugin binary from serving when it was not started by xroam. Its
// ProtocolVersion is go-plugin's transport version; the xroam API version
// is negotiated separately from the describe output.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "XROAM_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "b2c7e3c4-1f4a-4f0e-9d5e-xroam-plugin",
}

// MaxMessageSize bounds one gRPC message. gRPC's default of 4 MiB is too
// small for a compressed full-screen frame.
const MaxMessageSize = 256 << 20

// flowWindow is gRPC's flow-control window. The default 64 KiB makes a
// megabyte of encoded frame wait for several window updates; the link is
// local, so a large window costs nothing.
const flowWindow = 16 << 20

// Description is what `describe` prints, as JSON.
type Description struct {
	Kind        string        `json:"kind"`
	Name        string        `json:"name"`
	Version     string        `json:"version"`
	APIVersions []int         `json:"api_versions"`
	Schema      schema.Schema `json:"schema"`
	// Encodings are the xpra encodings an encoder plugin serves: the host
	// builds its encoding → plugin table from them without starting the
	// plugin. Hosts that predate the field ignore it, so adding it needed
	// no new API version; a host reading a description without it takes
	// the plugin to serve the encoding of its own name.
	Encodings []string `json:"encodings,omitempty"`
}

// Servable is a plugin ready to serve: Auth, Encoder, Clipboard or Transport.
type Servable interface {
	Describe() Description
	grpcPlugin() goplugin.Plugin
}

// Auth is an authentication plugin.
type Auth struct {
	Name, Version string
	Schema        schema.Schema
	// APIVersions this plugin speaks; empty means every version the SDK
	// speaks (sdk.APIVersions).
	APIVersions []int
	// New makes the module from its validated configuration.
	New func(ctx context.Context, cfg schema.Values) (auth.Authenticator, error)
}

// Describe returns the plugin's description.
func (a Auth) Describe() Description {
	return Description{Kind: KindAuth, Name: a.Name, Version: a.Version, APIVersions: apiVersions(a.APIVersions), Schema: a.Schema}
}

func (a Auth) grpcPlugin() goplugin.Plugin { return &authGRPC{p: &a} }

// Encoder is an encoder plugin.
type Encoder struct {
	Name, Version string
	Schema        schema.Schema
	APIVersions   []int
	// Encodings are the xpra encodings the plugin serves ("png", "png/P",
	// "h264", …), as its description lists them; the encoder's Info must
	// list each of them too. The host asks the plugin that lists an
	// encoding to encode it, so a new encoding needs no change to xroam.
	Encodings []string
	New       func(ctx context.Context, cfg schema.Values) (encoder.Encoder, error)
}

// Describe returns the plugin's description.
func (e Encoder) Describe() Description {
	return Description{Kind: KindEncoder, Name: e.Name, Version: e.Version, APIVersions: apiVersions(e.APIVersions), Schema: e.Schema,
		Encodings: slices.Clone(e.Encodings)}
}

func (e Encoder) grpcPlugin() goplugin.Plugin { return &encoderGRPC{p: &e} }

// Clipboard is a clipboard backend plugin.
type Clipboard struct {
	Name, Version string
	Schema        schema.Schema
	APIVersions   []int
	New           func(ctx context.Context, cfg schema.Values) (clipboard.Backend, error)
}

// Describe returns the plugin's description.
func (c Clipboard) Describe() Description {
	return Description{Kind: KindClipboard, Name: c.Name, Version: c.Version, APIVersions: apiVersions(c.APIVersions), Schema: c.Schema}
}

func (c Clipboard) grpcPlugin() goplugin.Plugin { return &clipboardGRPC{p: &c} }

func apiVersions(v []int) []int {
	if len(v) == 0 {
		return sdk.APIVersions()
	}
	return slices.Clone(v)
}

// ClientPlugins is the go-plugin plugin set the host dispenses from.
func ClientPlugins() goplugin.PluginSet {
	return goplugin.PluginSet{KindAuth: &authGRPC{}, KindEncoder: &encoderGRPC{}, KindClipboard: &clipboardGRPC{}, KindTransport: &transportGRPC{}}
}

// DialOptions are the host's gRPC options (the raised message size).
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)),
		grpc.WithInitialWindowSize(flowWindow), grpc.WithInitialConnWindowSize(flowWindow),
	}
}

// Serve runs the plugin: `describe` prints its description, anything else
// is refused, and with no argument it serves the host that started it.
// It exits the process.
func Serve(p Servable) {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr, p))
}

// Main is Serve without the exit, returning the exit status.
func Main(args []string, stdout, stderr io.Writer, p Servable) int {
	d := p.Describe()
	if len(args) > 0 {
		switch args[0] {
		case "describe":
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(d); err != nil {
				fmt.Fprintf(stderr, "describe: %v\n", err)
				return 1
			}
			return 0
		case "version", "--version":
			fmt.Fprintf(stdout, "xroam-%s-%s %s (api %v)\n", d.Kind, d.Name, d.Version, d.APIVersions)
			return 0
		default:
			fmt.Fprintf(stderr, "usage: xroam-%s-%s [describe|version]\n", d.Kind, d.Name)
			return 2
		}
	}
	if os.Getenv(Handshake.MagicCookieKey) != Handshake.MagicCookieValue {
		fmt.Fprintf(stderr, "xroam-%s-%s is an xroam plugin: the xroam server starts it. "+
			"Run it with `describe` to see what it is.\n", d.Kind, d.Name)
		return 1
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         goplugin.PluginSet{d.Kind: p.grpcPlugin()},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize),
				grpc.InitialWindowSize(flowWindow), grpc.InitialConnWindowSize(flowWindow))
			return grpc.NewServer(opts...)
		},
	})
	return 0
}

// configure checks a Configure call: the API version must be one the
// plugin speaks and the configuration must pass the schema.
func configure(d Description, apiVersion uint32, cfgJSON []byte) (schema.Values, error) {
	if !slices.Contains(d.APIVersions, int(apiVersion)) {
		return nil, fmt.Errorf("plugin %s/%s speaks API versions %v, host asked for %d", d.Kind, d.Name, d.APIVersions, apiVersion)
	}
	in := map[string]any{}
	if len(cfgJSON) > 0 {
		if err := json.Unmarshal(cfgJSON, &in); err != nil {
			return nil, fmt.Errorf("decoding configuration: %w", err)
		}
	}
	vals, err := d.Schema.Check(in)
	if err != nil {
		return nil, fmt.Errorf("configuration of %s/%s: %w", d.Kind, d.Name, err)
	}
	return vals, nil
}

// PluginSet is the go-plugin plugin set that serves p, for harnesses that
// run a plugin over an in-memory gRPC connection (see sdk/plugintest).
func PluginSet(p Servable) goplugin.PluginSet {
	return goplugin.PluginSet{p.Describe().Kind: p.grpcPlugin()}
}
