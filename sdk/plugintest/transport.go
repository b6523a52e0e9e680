package plugintest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/xroam/xroam/sdk"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/transport"
)

// TransportHarness is a transport plugin served in-process through gRPC,
// with the core's end of its handoff socket.
type TransportHarness struct {
	Client *plugin.TransportClient
	core   *net.UnixConn
}

// Transport serves p in-process through gRPC with configuration cfg and
// a real handoff socketpair, as the host runs a subprocess. It fails the
// test if the plugin refuses cfg.
func Transport(t testing.TB, p plugin.Transport, cfg map[string]any) *TransportHarness {
	t.Helper()
	h, err := transportHarness(t, p, cfg)
	if err != nil {
		t.Fatalf("configuring %s: %v", p.Name, err)
	}
	return h
}

func transportHarness(t testing.TB, p plugin.Transport, cfg map[string]any) (*TransportHarness, error) {
	a, b, err := transport.PacketPair()
	if err != nil {
		t.Fatal(err)
	}
	conv := func(f *os.File) *net.UnixConn {
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	plugEnd, coreEnd := conv(a), conv(b)
	snd := transport.NewSender(plugEnd)
	client, server := goplugin.TestPluginGRPCConn(t, false, plugin.TransportPluginSet(p, snd))
	t.Cleanup(func() {
		_ = client.Close()
		server.Stop()
		snd.Close()
		coreEnd.Close()
	})
	raw, err := client.Dispense(plugin.KindTransport)
	if err != nil {
		t.Fatalf("dispense: %v", err)
	}
	vals, err := p.Describe().Schema.Check(cfg)
	if err != nil {
		return nil, err
	}
	tc := raw.(*plugin.TransportClient)
	if err := tc.Configure(context.Background(), sdk.APIVersion, vals); err != nil {
		return nil, err
	}
	return &TransportHarness{Client: tc, core: coreEnd}, nil
}

// Listen asks the plugin to bind.
func (h *TransportHarness) Listen(ctx context.Context, binds ...transport.Bind) (*transport.ListenResponse, error) {
	return h.Client.Listen(ctx, &transport.ListenRequest{Binds: binds})
}

// Accept waits up to timeout for the next connection the plugin hands
// over, and returns its header and the core's end of it.
func (h *TransportHarness) Accept(timeout time.Duration) (transport.Meta, net.Conn, error) {
	_ = h.core.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, transport.MaxMetaSize+1)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, _, _, err := h.core.ReadMsgUnix(buf, oob)
	if err != nil {
		return transport.Meta{}, nil, fmt.Errorf("no handoff: %w", err)
	}
	var fds []int
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err == nil {
		for _, m := range msgs {
			r, err := syscall.ParseUnixRights(&m)
			if err == nil {
				fds = append(fds, r...)
			}
		}
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return transport.Meta{}, nil, fmt.Errorf("handoff carried %d descriptors, want 1", len(fds))
	}
	var hdr struct {
		V int `json:"v"`
		transport.Meta
	}
	if err := json.Unmarshal(buf[:n], &hdr); err != nil || hdr.V != transport.MetaVersion {
		syscall.Close(fds[0])
		return transport.Meta{}, nil, fmt.Errorf("bad handoff header %q: %v", buf[:n], err)
	}
	f := os.NewFile(uintptr(fds[0]), "handed")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return transport.Meta{}, nil, fmt.Errorf("handed descriptor: %w", err)
	}
	return hdr.Meta, c, nil
}

// Dialer opens a connection to a transport's address and does the
// client side of its handshake, returning the plain stream.
type Dialer func(ctx context.Context, addr string) (net.Conn, error)

// TransportConformance checks what the core relies on: a sound
// description, a refusal of unknown configuration, a Listen that binds
// and reports the address, and for a connection made with dial a handoff
// whose header names a socket type, a mode and the peer, and whose
// stream carries bytes both ways and ends when the peer leaves.
func TransportConformance(t *testing.T, p plugin.Transport, cfg map[string]any, bind transport.Bind, dial Dialer) {
	t.Helper()
	ctx := context.Background()
	t.Run("describe", func(t *testing.T) {
		d := p.Describe()
		if d.Kind != plugin.KindTransport || d.Name == "" || d.Version == "" {
			t.Errorf("description %+v: kind transport, a name and a version are required", d)
		}
		if !slices.Contains(d.APIVersions, sdk.APIVersion) {
			t.Errorf("API versions %v lack the SDK's %d", d.APIVersions, sdk.APIVersion)
		}
		var out bytes.Buffer
		if rc := plugin.Main([]string{"describe"}, &out, io.Discard, p); rc != 0 {
			t.Fatalf("describe exited %d", rc)
		}
	})
	t.Run("unknown configuration refused", func(t *testing.T) {
		bogus := map[string]any{"xroam_conformance_no_such_attribute": "x"}
		for k, v := range cfg {
			bogus[k] = v
		}
		if _, err := transportHarness(t, p, bogus); err == nil {
			t.Error("an unknown attribute was accepted")
		}
	})
	t.Run("connection handed over", func(t *testing.T) {
		h := Transport(t, p, cfg)
		resp, err := h.Listen(ctx, bind)
		if err != nil {
			t.Fatalf("listen %+v: %v", bind, err)
		}
		if len(resp.Addresses) != 1 {
			t.Fatalf("listen returned %v for one bind", resp.Addresses)
		}
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		peer, err := dial(dctx, resp.Addresses[0])
		if err != nil {
			t.Fatalf("dial %s: %v", resp.Addresses[0], err)
		}
		defer peer.Close()
		// xpra's packets start with 'P'; a transport that waits for the
		// first byte to classify the connection gets it.
		msg := []byte("P\x00\x00\x00conformance")
		go peer.Write(msg)
		meta, core, err := h.Accept(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer core.Close()
		if meta.SocketType == "" || (meta.Mode != transport.ModeFD && meta.Mode != transport.ModeRelay) {
			t.Errorf("header %+v: a socket type and a mode are required", meta)
		}
		if _, ok := peer.LocalAddr().(*net.TCPAddr); ok && meta.Peer != peer.LocalAddr().String() {
			t.Errorf("header names peer %q, the peer is %s", meta.Peer, peer.LocalAddr())
		}
		got := make([]byte, len(msg))
		_ = core.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.ReadFull(core, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("core read %q, %v", got, err)
		}
		if _, err := core.Write([]byte("answer")); err != nil {
			t.Fatal(err)
		}
		got = make([]byte, 6)
		_ = peer.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.ReadFull(peer, got); err != nil || string(got) != "answer" {
			t.Fatalf("peer read %q, %v", got, err)
		}
		peer.Close()
		if _, err := core.Read(make([]byte, 1)); err == nil {
			t.Error("the core's end did not end with the peer")
		}
	})
}
