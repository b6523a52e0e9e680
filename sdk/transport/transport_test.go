package transport

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

func unixConn(t *testing.T, f *os.File) *net.UnixConn {
	t.Helper()
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UnixConn)
}

// TestRelayAndPipe: Relay hands the core one end of a socketpair with a
// header it can read, and Pipe carries bytes both ways.
func TestRelayAndPipe(t *testing.T) {
	a, b, err := PacketPair()
	if err != nil {
		t.Fatal(err)
	}
	snd, core := NewSender(unixConn(t, a)), unixConn(t, b)
	r, err := snd.Relay(Meta{SocketType: WSS, BindType: TCP, Peer: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, MaxMetaSize)
	oob := make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := core.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		V int `json:"v"`
		Meta
	}
	if err := json.Unmarshal(buf[:n], &h); err != nil || h.V != MetaVersion || h.Mode != ModeRelay || h.SocketType != WSS || h.BindType != TCP {
		t.Fatalf("header %s: %v", buf[:n], err)
	}
	msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("rights %v %v", fds, err)
	}
	coreConn, err := net.FileConn(os.NewFile(uintptr(fds[0]), "relay"))
	if err != nil {
		t.Fatal(err)
	}
	defer coreConn.Close()
	// The "network" side of the relay.
	netA, netB := net.Pipe()
	go Pipe(netA, r)
	go netB.Write([]byte("from the network"))
	got := make([]byte, 16)
	if _, err := io.ReadFull(coreConn, got); err != nil || string(got) != "from the network" {
		t.Fatalf("core got %q %v", got, err)
	}
	go coreConn.Write([]byte("from the core"))
	got = make([]byte, 13)
	if _, err := io.ReadFull(netB, got); err != nil || string(got) != "from the core" {
		t.Fatalf("network got %q %v", got, err)
	}
}

func TestEncodeMetaBounds(t *testing.T) {
	if _, err := EncodeMeta(Meta{SocketType: TCP, Peer: strings.Repeat("x", MaxMetaSize)}); err == nil {
		t.Error("an oversized header was encoded")
	}
	t.Setenv(HandoffFDEnv, "")
	if _, err := SenderFromEnv(); err == nil || !strings.Contains(err.Error(), HandoffFDEnv) {
		t.Errorf("no handoff socket: %v", err)
	}
	t.Setenv(HandoffFDEnv, "1")
	if _, err := SenderFromEnv(); err == nil {
		t.Error("stdout taken for the handoff socket")
	}
}
