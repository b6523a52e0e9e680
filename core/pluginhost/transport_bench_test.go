package pluginhost_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/sdk/transport"
)

// cpuTime is the CPU time used so far by this process and by pid.
func procCPUTime(pid int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	d := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		var ut, st int64
		fmt.Sscan(f[11], &ut)
		fmt.Sscan(f[12], &st)
		// Clock ticks are 100 Hz on Linux.
		d += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return d
}

// BenchmarkTransportThroughput sends 1 MiB chunks from the core to a peer
// through the tcp plugin (the socket handed to the core) and through the
// ws plugin's wss (TLS and websocket relayed by the plugin). cpu-ms/MB
// counts this process (core and peer) and the plugin.
func BenchmarkTransportThroughput(b *testing.B) {
	chunk := bytes.Repeat([]byte("xroam-chunk-"), (1<<20)/12+1)[:1<<20]
	b.Run("tcp-fd", func(b *testing.B) {
		h := newHost(b, nil)
		l, err := h.Transport(testCtx(b), pluginhost.Spec{Name: "tcp", Options: map[string][]string{"html": {"off"}}},
			transport.ListenRequest{Binds: []transport.Bind{{SocketType: transport.TCP, Address: "127.0.0.1:0"}}})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		peer, err := net.Dial("tcp", l.Addresses()[0])
		if err != nil {
			b.Fatal(err)
		}
		defer peer.Close()
		peer.Write([]byte("P"))
		core, err := l.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer core.Close()
		core.Read(make([]byte, 1))
		pump(b, statusOf(b, h, "transport", "tcp").PID, chunk, core, func(n int64) error {
			_, err := io.CopyN(io.Discard, peer, n)
			return err
		})
	})
	b.Run("wss-relay", func(b *testing.B) {
		files, cc := tlsFiles(b)
		h := newHost(b, nil)
		l, err := h.Transport(testCtx(b), pluginhost.Spec{Name: "ws", Options: map[string][]string{
			"ssl_cert": {files.Cert}, "ssl_key": {files.Key}, "ssl_client_verify_mode": {"none"}, "html": {"off"}}},
			transport.ListenRequest{Binds: []transport.Bind{{SocketType: transport.WSS, Address: "127.0.0.1:0"}}})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		d := websocket.Dialer{Subprotocols: []string{"binary"}, TLSClientConfig: cc}
		ws, _, err := d.Dial("wss://"+l.Addresses()[0]+"/", nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		ws.SetReadLimit(-1)
		core, err := l.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer core.Close()
		pump(b, statusOf(b, h, "transport", "ws").PID, chunk, core, func(n int64) error {
			for n > 0 {
				_, r, err := ws.NextReader()
				if err != nil {
					return err
				}
				m, err := io.Copy(io.Discard, r)
				if err != nil {
					return err
				}
				n -= m
			}
			return nil
		})
	})
}

func pump(b *testing.B, pid int, chunk []byte, core net.Conn, read func(int64) error) {
	b.SetBytes(int64(len(chunk)))
	done := make(chan error, 1)
	cpu0 := procCPUTime(pid)
	b.ResetTimer()
	go func() { done <- read(int64(b.N) * int64(len(chunk))) }()
	for range b.N {
		if _, err := core.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(procCPUTime(pid)-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/MB")
}
