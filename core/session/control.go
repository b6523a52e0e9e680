package session

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// controlSubsystem is what a connection asks of the server itself: the
// packets every connection may send (ping, compression, disconnect, stop,
// exit, info) and the commands of `xroam control` (xpra's command
// request), which the hello carries.
type controlSubsystem struct {
	s *Server
}

func (*controlSubsystem) Name() string { return "control" }

func (cs *controlSubsystem) Handlers() map[string]handler {
	return map[string]handler{
		xpra.TypePing:           anyConn(cs.ping),
		xpra.TypePingEcho:       anyConn(func(context.Context, *clientConn, wire.Packet) error { return nil }),
		xpra.TypeSetDeflate:     anyConn(cs.setDeflate),
		xpra.TypeDisconnect:     anyConn(cs.disconnect),
		xpra.TypeShutdownServer: anyConn(cs.shutdownServer),
		xpra.TypeExitServer:     anyConn(cs.exitServer),
		xpra.TypeInfoRequest:    anyConn(cs.infoRequest),
	}
}

func (cs *controlSubsystem) ping(_ context.Context, c *clientConn, pkt wire.Packet) error {
	p, err := xpra.ParsePing(pkt)
	if err != nil {
		c.log.Warn("bad ping", "err", err)
		return nil
	}
	l1, l5, l15 := loadavg()
	_ = c.w.WritePacket(xpra.NewPingEcho(p.Time, l1, l5, l15).Packet())
	return nil
}

func loadavg() (float64, float64, float64) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, 0, 0
	}
	var a, b5, c float64
	_, _ = fmt.Sscanf(string(b), "%f %f %f", &a, &b5, &c)
	return a, b5, c
}

// setDeflate changes the compression of what the server sends, and
// echoes the level as xpra does.
func (cs *controlSubsystem) setDeflate(_ context.Context, c *clientConn, pkt wire.Packet) error {
	if sd, err := xpra.ParseSetDeflate(pkt); err == nil {
		c.w.SetLevel(sd.Level)
		_ = c.w.WritePacket(sd.Packet())
	}
	return nil
}

func (cs *controlSubsystem) disconnect(_ context.Context, c *clientConn, pkt wire.Packet) error {
	d, _ := xpra.ParseDisconnect(pkt)
	c.log.Info("client disconnected", "reason", d.Reason)
	c.disconnect(xpra.ReasonClientRequest)
	return errHangUp
}

func (cs *controlSubsystem) shutdownServer(_ context.Context, c *clientConn, _ wire.Packet) error {
	c.log.Info("shutdown requested by a client")
	c.disconnect(xpra.ReasonServerShutdown)
	cs.s.requestEnd(EndStop)
	return errHangUp
}

func (cs *controlSubsystem) exitServer(_ context.Context, c *clientConn, pkt wire.Packet) error {
	// ExitUpgrade comes from `xroam upgrade`.
	if e, _ := xpra.ParseExitServer(pkt); e.Reason == xpra.ExitUpgrade {
		c.log.Info("exit requested by an upgrade")
		c.disconnect(xpra.ReasonServerUpgrade)
		cs.s.requestEnd(EndUpgrade)
		return errHangUp
	}
	c.log.Info("exit requested by a client")
	c.disconnect(xpra.ReasonServerExit)
	cs.s.requestEnd(EndExit)
	return errHangUp
}

func (cs *controlSubsystem) infoRequest(ctx context.Context, c *clientConn, _ wire.Packet) error {
	_ = c.w.WritePacket(xpra.InfoResponse{Info: cs.s.info(ctx)}.Packet())
	return nil
}

// controlCommand is one command of `xroam control` (xpra's control
// request): it gets the arguments and returns an exit code and a message,
// 0 meaning success.
type controlCommand struct {
	args string
	help string
	run  func(s *Server, args []string) (int, string)
}

// userCommands are the commands whose effect depends on who asked (what
// the login said about the user: nil when the socket has no auth). Their
// help stays in controlCommands; these run instead.
func userCommands() map[string]func(s *Server, who *authResult, args []string) (int, string) {
	return map[string]func(s *Server, who *authResult, args []string) (int, string){
		"start": func(s *Server, who *authResult, args []string) (int, string) {
			return s.control.start(who, args, false)
		},
		"start-child": func(s *Server, who *authResult, args []string) (int, string) {
			return s.control.start(who, args, true)
		},
	}
}

func controlCommands() map[string]controlCommand {
	cmds := map[string]controlCommand{
		"help": {"[COMMAND]", "list the commands, or describe one", func(s *Server, args []string) (int, string) {
			cmds := controlCommands()
			if len(args) > 0 {
				c, ok := cmds[args[0]]
				if !ok {
					return 6, fmt.Sprintf("unknown command %q", args[0])
				}
				return 0, fmt.Sprintf("%s %s: %s", args[0], c.args, c.help)
			}
			names := make([]string, 0, len(cmds))
			for n := range cmds {
				names = append(names, n)
			}
			sort.Strings(names)
			return 0, "control commands: " + strings.Join(names, ", ")
		}},
		"start": {"COMMAND", "start a command in the session", func(s *Server, args []string) (int, string) {
			return s.control.start(nil, args, false)
		}},
		"start-child": {"COMMAND", "start a command counted as a child for --exit-with-children", func(s *Server, args []string) (int, string) {
			return s.control.start(nil, args, true)
		}},
		"name": {"NAME", "set the session's name", func(s *Server, args []string) (int, string) {
			if len(args) != 1 {
				return 5, "name takes exactly one argument"
			}
			s.mu.Lock()
			s.name = args[0]
			s.mu.Unlock()
			return 0, fmt.Sprintf("session name set to %q", args[0])
		}},
		"debug": {"enable|disable|status", "switch debug logging of the server on or off", func(s *Server, args []string) (int, string) {
			if s.opts.LogLevel == nil {
				return 7, "this server's log level cannot be changed"
			}
			if len(args) != 1 {
				return 5, "debug takes one argument: enable, disable or status"
			}
			switch args[0] {
			case "enable":
				s.opts.LogLevel.Set(slog.LevelDebug)
			case "disable":
				s.opts.LogLevel.Set(slog.LevelInfo)
			case "status":
			default:
				return 5, fmt.Sprintf("debug: unknown argument %q", args[0])
			}
			return 0, "logging level " + s.opts.LogLevel.Level().String()
		}},
		"clipboard-direction": {"to-server|to-client|both|disabled", "change the direction of clipboard synchronization", func(s *Server, args []string) (int, string) {
			return s.clip.setDirection(args)
		}},
		"disconnect": {"[UUID...]", "disconnect the given clients, or all of them", func(s *Server, args []string) (int, string) {
			s.mu.Lock()
			var drop []*clientConn
			for c := range s.clients {
				if len(args) == 0 || slices.Contains(args, c.caps.Str("uuid", "")) {
					drop = append(drop, c)
				}
			}
			s.mu.Unlock()
			for _, c := range drop {
				c.disconnect(xpra.ReasonDetachRequest)
			}
			return 0, fmt.Sprintf("%d clients disconnected", len(drop))
		}},
	}
	maps.Copy(cmds, pictureControls())
	return cmds
}

func (cs *controlSubsystem) start(who *authResult, args []string, child bool) (int, string) {
	s := cs.s
	if !s.cfg.StartNewCommands {
		return 8, "starting commands is disabled on this server (--start-new-commands=no)"
	}
	if len(args) == 0 {
		return 5, "missing command"
	}
	cmd := strings.Join(args, " ")
	as := who.startAs(currentIDs())
	if as.Credential != nil {
		xa, err := s.userAuthFile(as.Credential.Uid, as.Credential.Gid)
		if err != nil {
			return 9, fmt.Sprintf("cannot give the command the display's X authority: %v", err)
		}
		if xa != "" {
			// First, so that what the login said about the user still wins.
			as.Env = append([]string{"XAUTHORITY=" + xa}, as.Env...)
		}
	}
	pid, err := s.children.StartWith(cmd, child, as)
	if err != nil {
		return 9, err.Error()
	}
	return 0, fmt.Sprintf("started %q with pid %d", cmd, pid)
}

// run runs a command request and returns xpra's command_response; who
// is what the client's login said about its user (nil: no auth).
func (cs *controlSubsystem) run(who *authResult, req []any) []any {
	s := cs.s
	var words []string
	for _, v := range req {
		if str, ok := wire.AsString(v); ok {
			words = append(words, str)
		} else {
			words = append(words, fmt.Sprint(v))
		}
	}
	if len(words) == 0 {
		return []any{int64(5), "missing command"}
	}
	c, ok := controlCommands()[words[0]]
	if !ok {
		return []any{int64(6), fmt.Sprintf("unknown command %q: try help", words[0])}
	}
	var code int
	var msg string
	if run, ok := userCommands()[words[0]]; ok {
		code, msg = run(s, who, words[1:])
	} else {
		code, msg = c.run(s, words[1:])
	}
	s.log.Info("control command", "command", words, "code", code, "result", msg)
	return []any{int64(code), msg}
}
