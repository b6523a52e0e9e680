package session

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

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
			return s.controlStart(who, args, false)
		},
		"start-child": func(s *Server, who *authResult, args []string) (int, string) {
			return s.controlStart(who, args, true)
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
			return s.controlStart(nil, args, false)
		}},
		"start-child": {"COMMAND", "start a command counted as a child for --exit-with-children", func(s *Server, args []string) (int, string) {
			return s.controlStart(nil, args, true)
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
			return s.controlClipboardDirection(args)
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

func (s *Server) controlStart(who *authResult, args []string, child bool) (int, string) {
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

// controlAs runs a command request and returns xpra's command_response;
// who is what the client's login said about its user (nil: no auth).
func (s *Server) controlAs(who *authResult, req []any) []any {
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
