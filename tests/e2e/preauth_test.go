package e2e

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// vmRSS reads a process's resident memory, in bytes, from field (VmRSS,
// VmHWM) of /proc/PID/status.
func vmRSS(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestPreAuthFloodMemory: fifty connections at once, each sending before
// it logs in a 2 MB bencode packet of a million empty lists (which cost
// the server 150 MB each before the limits), then fifty that send one
// just within the pre-login packet size (which meets the decode budget),
// leave the server under 100 MB of RSS; the session lives on and the
// client with the password still gets in.
func TestPreAuthFloodMemory(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	addr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	n := e.Start("--plugin-dir="+suite.PluginDir, "--bind-tcp="+addr, "--tcp-auth=password:value=flood-secret", "--start=xterm -T flood")
	WaitWindow(t, n, "flood")
	pid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	packet := func(lists int) []byte {
		body := "l" + strings.Repeat("le", lists) + "e"
		b := make([]byte, wire.HeaderSize, wire.HeaderSize+len(body))
		b[0] = wire.Magic // flags 0: bencode, level 0: uncompressed
		binary.BigEndian.PutUint32(b[4:], uint32(len(body)))
		return append(b, body...)
	}
	before := vmRSS(t, pid, "VmRSS")
	const conns = 50
	var peak atomic.Int64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak.Store(max(peak.Load(), vmRSS(t, pid, "VmRSS")))
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var refused, closed atomic.Int64
	for _, lists := range []int{1_000_000, wire.PreAuthMaxPacketSize/2 - 1} {
		pkt := packet(lists)
		var start, wg sync.WaitGroup
		start.Add(1)
		for range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				defer nc.Close()
				start.Wait()
				_ = nc.SetDeadline(time.Now().Add(60 * time.Second))
				// The server may close before it has all: a write error
				// is one of its answers.
				go func() { _, _ = nc.Write(pkt) }()
				p, err := wire.NewReader(nc).ReadPacket()
				switch {
				case err == nil && p.Type() == xpra.TypeDisconnect:
					refused.Add(1)
				case err == nil:
					t.Errorf("answered %q to a flood packet", p.Type())
				default:
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Error("the server neither answered nor closed")
					}
					closed.Add(1)
				}
				_, _ = io.Copy(io.Discard, nc)
			}()
		}
		start.Done()
		wg.Wait()
	}
	close(done)
	<-sampled
	hwm := vmRSS(t, pid, "VmHWM")
	t.Logf("%d connections: %d disconnects, %d closed; server RSS %d MB before, peak %d MB (sampled), VmHWM %d MB, now %d MB",
		2*conns, refused.Load(), closed.Load(), before>>20, peak.Load()>>20, hwm>>20, vmRSS(t, pid, "VmRSS")>>20)
	if limit := int64(100 << 20); peak.Load() >= limit || hwm >= limit {
		t.Errorf("the server took %d MB (peak %d MB): want under 100 MB", peak.Load()>>20, hwm>>20)
	}
	logb, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
	for _, want := range []string{"exceeds limit", "decoded values too large"} {
		if !strings.Contains(string(logb), want) {
			t.Errorf("the server log does not say %q:\n%s", want, linesWith(string(logb), "first packet"))
		}
	}
	// The session is whole and serves a client that logs in.
	cmd := exec.Command(suite.Bin, "info", "tcp://"+addr+"/")
	cmd.Env = append(e.Environ(), "XROAM_PASSWORD=flood-secret")
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "windows.0.title=flood") {
		t.Errorf("a client with the password after the flood: %v\n%s", err, b)
	}
}
