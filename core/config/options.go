package config

// Config is the whole effective configuration of one xroam command: every
// option that xroam implements or will implement, with xpra's names. The
// struct tags are the single source of truth for an option's name, help text,
// group and constraints; Options() reads them, so adding an option is adding
// a field here (see CONTRIBUTING.md).
//
// Tags:
//
//	opt     the option name, spelled as in xpra (used on the command line and in HCL)
//	help    one line for --help and the man page
//	group   which section of the help it belongs to
//	enum    allowed values, separated by "|"
//	secret  "true": redacted by showconfig
//	short   a one-letter alias on the command line
//	meta    the placeholder shown in help (e.g. CMD, HOST:PORT)
type Config struct {
	// General
	Debug       string   `opt:"debug" short:"d" group:"general" meta:"CATEGORIES" help:"debug logging categories, comma separated; all enables everything"`
	SessionName string   `opt:"session-name" group:"general" meta:"NAME" help:"name of the session, shown in titles and listings"`
	SocketDir   string   `opt:"socket-dir" group:"general" meta:"DIR" help:"where to create the session's unix socket (default: the first of socket-dirs; env XROAM_SOCKET_DIR)"`
	SocketDirs  []string `opt:"socket-dirs" group:"general" meta:"DIR" help:"directories searched for sessions' sockets"`
	Windows     bool     `opt:"windows" group:"general" help:"forward windows"`
	Readonly    bool     `opt:"readonly" group:"general" help:"ignore all keyboard and pointer input from clients"`
	PluginDir   []string `opt:"plugin-dir" group:"general" meta:"DIR" help:"extra directories searched for plugin binaries"`

	// Server
	Daemon                     bool     `opt:"daemon" group:"server" help:"run the server in the background with a log file"`
	Chdir                      string   `opt:"chdir" group:"server" meta:"DIR" help:"change to this directory after daemonizing"`
	UID                        string   `opt:"uid" group:"server" meta:"UID" help:"when started as root, drop privileges to this user (name or number)"`
	GID                        string   `opt:"gid" group:"server" meta:"GID" help:"when started as root, drop privileges to this group (name or number)"`
	Pidfile                    string   `opt:"pidfile" group:"server" meta:"FILE" help:"write the server's process id to this file"`
	LogDir                     string   `opt:"log-dir" group:"server" meta:"DIR" help:"directory of the daemon's log file (auto: the session directory)"`
	LogFile                    string   `opt:"log-file" group:"server" meta:"FILE" help:"name of the daemon's log file"`
	Displayfd                  int      `opt:"displayfd" group:"server" meta:"FD" help:"write the display number to this file descriptor once the server is ready"`
	SocketPermissions          string   `opt:"socket-permissions" group:"server" meta:"MODE" help:"octal mode of the session's unix socket"`
	Xvfb                       string   `opt:"xvfb" group:"server" meta:"CMD" help:"command line of the virtual X server"`
	UseDisplay                 bool     `opt:"use-display" group:"server" help:"take over an existing display instead of starting a new X server"`
	ResizeDisplay              bool     `opt:"resize-display" group:"server" help:"resize the virtual screen to fit the client's desktop"`
	DPI                        int      `opt:"dpi" group:"server" meta:"DPI" help:"the virtual screen's resolution (0: the client's)"`
	Start                      []string `opt:"start" group:"server" meta:"CMD" help:"command to start with the session (repeatable)"`
	StartChild                 []string `opt:"start-child" group:"server" meta:"CMD" help:"command to start with the session, counted as a child for exit-with-children (repeatable)"`
	StartAfterConnect          []string `opt:"start-after-connect" group:"server" meta:"CMD" help:"command to start when the first client connects (repeatable)"`
	StartChildAfterConnect     []string `opt:"start-child-after-connect" group:"server" meta:"CMD" help:"child command to start when the first client connects (repeatable)"`
	StartOnConnect             []string `opt:"start-on-connect" group:"server" meta:"CMD" help:"command to start each time a client connects (repeatable)"`
	StartChildOnConnect        []string `opt:"start-child-on-connect" group:"server" meta:"CMD" help:"child command to start each time a client connects (repeatable)"`
	StartOnLastClientExit      []string `opt:"start-on-last-client-exit" group:"server" meta:"CMD" help:"command to start when the last client disconnects (repeatable)"`
	StartChildOnLastClientExit []string `opt:"start-child-on-last-client-exit" group:"server" meta:"CMD" help:"child command to start when the last client disconnects (repeatable)"`
	StartNewCommands           bool     `opt:"start-new-commands" group:"server" help:"let clients start new commands in the session"`
	Env                        []string `opt:"env" group:"server" meta:"VAR=VALUE" help:"environment variable for the commands started in the session (repeatable)"`
	ExecWrapper                string   `opt:"exec-wrapper" group:"server" meta:"CMD" help:"command that wraps every started command"`
	ExitWithChildren           bool     `opt:"exit-with-children" group:"server" help:"stop the server when the last start-child command exits"`
	ExitWithClient             bool     `opt:"exit-with-client" group:"server" help:"stop the server when the last client disconnects"`
	TerminateChildren          bool     `opt:"terminate-children" group:"server" help:"terminate the child commands when the server stops"`
	ServerIdleTimeout          int      `opt:"server-idle-timeout" group:"server" meta:"SECONDS" help:"stop the server after this many seconds without a client (0: never)"`
	IdleTimeout                int      `opt:"idle-timeout" group:"server" meta:"SECONDS" help:"disconnect a client after this many seconds without input (0: never)"`
	Sharing                    bool     `opt:"sharing" group:"server" help:"let several clients attach to the session at once"`
	Mdns                       bool     `opt:"mdns" group:"server" help:"announce the session with mDNS on the local network"`
	HTML                       string   `opt:"html" group:"server" meta:"on|off|auto|DIR" help:"serve the HTML5 client on websocket ports"`
	ReportWids                 bool     `opt:"report-wids" group:"server" help:"log a machine-readable line when a window is mapped or unmapped: xroam: window 0xXID mapped|unmapped wid=N (as nxagent -reportwids)"`
	OptionsFile                string   `opt:"options-file" group:"server" meta:"FILE" help:"NX options file (key=value,key=value: keyboard, kbtype, clipboard, dpi, geometry=WxH, fullscreen=1|0, timeout), read at start, where its values win over the other options, and again at each attach"`

	// Network
	Bind           []string `opt:"bind" group:"network" meta:"PATH" help:"unix socket to listen on (auto: the default location, none: no unix socket; repeatable)"`
	BindTCP        []string `opt:"bind-tcp" group:"network" meta:"HOST:PORT" help:"TCP address to listen on (repeatable); without --tcp-auth only loopback, and only the session's owner and root (the peer's uid as the kernel reports it): --tcp-auth=allow lets every local user in"`
	BindSSL        []string `opt:"bind-ssl" group:"network" meta:"HOST:PORT" help:"TLS address to listen on (repeatable)"`
	BindWS         []string `opt:"bind-ws" group:"network" meta:"HOST:PORT" help:"websocket address to listen on (repeatable)"`
	BindWSS        []string `opt:"bind-wss" group:"network" meta:"HOST:PORT" help:"secure websocket address to listen on (repeatable)"`
	BindQUIC       []string `opt:"bind-quic" group:"network" meta:"HOST:PORT" help:"QUIC (UDP) address to listen on, with the --ssl-cert certificate (repeatable)"`
	BindVsock      []string `opt:"bind-vsock" group:"network" meta:"CID:PORT" help:"vsock address to listen on (repeatable)"`
	BindRFB        []string `opt:"bind-rfb" group:"network" meta:"HOST:PORT" help:"RFB (VNC) address to listen on (repeatable)"`
	MinPort        int      `opt:"min-port" group:"network" meta:"PORT" help:"lowest port the --bind-tcp, --bind-ssl, --bind-ws, --bind-wss, --bind-quic and --bind-rfb sockets may use (port 0, any free port, is always allowed)"`
	TCPProxy       string   `opt:"tcp-proxy" group:"network" meta:"HOST:PORT" help:"forward the connections to --bind-tcp sockets that speak neither xpra's protocol nor the TLS or HTTP this server handles, byte for byte, to this address (e.g. a web server sharing the port)"`
	RFBUpgrade     int      `opt:"rfb-upgrade" group:"network" meta:"SECONDS" help:"upgrade an unidentified TCP connection to RFB after this many seconds (0: never), with the socket's --tcp-auth (a password module's secret is the VNC password), else --rfb-auth"`
	SSH            string   `opt:"ssh" group:"network" meta:"CMD" help:"ssh command used to reach ssh:// servers"`
	ExitSSH        bool     `opt:"exit-ssh" group:"network" help:"end the ssh process when the connection closes (no: leave it, e.g. for a shared master connection)"`
	RemoteXroam    string   `opt:"remote-xroam" group:"network" meta:"CMD" help:"command that runs xroam on ssh:// servers"`
	BandwidthLimit string   `opt:"bandwidth-limit" group:"network" meta:"RATE" help:"upper limit of bandwidth use, e.g. 1Mbps or 500K (auto, 0: none)"`
	Compress       int      `opt:"compress" short:"z" group:"network" enum:"0|1|2|3|4|5|6|7|8|9" meta:"LEVEL" help:"packet compression level (0: none)"`

	// Authentication
	Auth         []string `opt:"auth" group:"auth" meta:"MODULE[:OPTS]" help:"authentication of unix socket connections (repeatable: chained)"`
	TCPAuth      []string `opt:"tcp-auth" group:"auth" meta:"MODULE[:OPTS]" help:"authentication of TCP connections (repeatable: chained); failed password checks are throttled per peer and per socket"`
	SSLAuth      []string `opt:"ssl-auth" group:"auth" meta:"MODULE[:OPTS]" help:"authentication of TLS connections"`
	WSAuth       []string `opt:"ws-auth" group:"auth" meta:"MODULE[:OPTS]" help:"authentication of websocket connections"`
	WSSAuth      []string `opt:"wss-auth" group:"auth" meta:"MODULE[:OPTS]" help:"authentication of secure websocket connections"`
	QUICAuth     []string `opt:"quic-auth" group:"auth" meta:"MODULE[:OPTS]" help:"authentication of QUIC connections"`
	VsockAuth    []string `opt:"vsock-auth" group:"auth" meta:"MODULE[:OPTS]" help:"authentication of vsock connections"`
	RFBAuth      []string `opt:"rfb-auth" group:"auth" meta:"MODULE[:OPTS]" help:"authentication of RFB (VNC) connections"`
	Username     string   `opt:"username" group:"auth" meta:"NAME" help:"the user name the client logs in as (default: the local user)"`
	PasswordFile []string `opt:"password-file" group:"auth" meta:"FILE" help:"file holding the password the client sends"`

	// Encryption of packets (xpra 3.1.3)
	Encryption           string `opt:"encryption" group:"auth" meta:"AES" help:"encrypt every packet with this cipher (AES, as xpra 3.1.3) and the key of encryption-keyfile; a server requires it of every client"`
	TCPEncryption        string `opt:"tcp-encryption" group:"auth" meta:"AES" help:"like encryption, for TCP connections only"`
	EncryptionKeyfile    string `opt:"encryption-keyfile" group:"auth" meta:"FILE" help:"file holding the encryption key (the same contents on client and server)"`
	TCPEncryptionKeyfile string `opt:"tcp-encryption-keyfile" group:"auth" meta:"FILE" help:"like encryption-keyfile, for TCP connections"`

	// TLS
	SSL                 string `opt:"ssl" group:"ssl" enum:"auto|on|off|yes|no|tcp|www" help:"TLS on TCP sockets"`
	SSLCert             string `opt:"ssl-cert" group:"ssl" meta:"FILE" help:"certificate file (PEM)"`
	SSLKey              string `opt:"ssl-key" group:"ssl" meta:"FILE" help:"private key file (PEM), when not in ssl-cert"`
	SSLCACerts          string `opt:"ssl-ca-certs" group:"ssl" meta:"FILE" help:"certificate authorities to trust (default: the system's)"`
	SSLCAData           string `opt:"ssl-ca-data" group:"ssl" meta:"PEM" help:"certificate authority data to trust, inline"`
	SSLProtocol         string `opt:"ssl-protocol" group:"ssl" enum:"TLSv1_2|TLSv1_3" help:"lowest TLS version accepted"`
	SSLCiphers          string `opt:"ssl-ciphers" group:"ssl" meta:"LIST" help:"TLS cipher suites (DEFAULT: Go's secure set)"`
	SSLClientVerifyMode string `opt:"ssl-client-verify-mode" group:"ssl" enum:"none|optional|required" help:"whether the server asks clients for certificates"`
	SSLServerVerifyMode string `opt:"ssl-server-verify-mode" group:"ssl" enum:"none|optional|required" help:"whether the client verifies the server's certificate"`
	SSLCheckHostname    bool   `opt:"ssl-check-hostname" group:"ssl" help:"check the server certificate's host name"`
	SSLServerHostname   string `opt:"ssl-server-hostname" group:"ssl" meta:"NAME" help:"host name expected in the server's certificate"`

	// Picture
	Encoding         string   `opt:"encoding" group:"picture" meta:"NAME" help:"preferred encoding: auto, rgb, png, png/P, png/L, jpeg, webp, h264, vp8, vp9"`
	Encodings        []string `opt:"encodings" group:"picture" meta:"NAME" csv:"true" help:"encodings allowed, comma-separated (all: every one available)"`
	VideoEncoders    []string `opt:"video-encoders" group:"picture" meta:"NAME" csv:"true" enum:"all|none|help|x264|vpx" help:"video encoders allowed: x264 (h264), vpx (vp8, vp9), all, none; help lists them"`
	CSCModules       []string `opt:"csc-modules" group:"picture" meta:"NAME" csv:"true" enum:"all|none|help|libyuv|go" help:"colourspace converters the video encoders may use, the first built in wins: libyuv, go, all (the fastest), none (no video encoders); help lists them"`
	Quality          int      `opt:"quality" group:"picture" meta:"0-100" help:"picture quality (0: automatic)"`
	MinQuality       int      `opt:"min-quality" group:"picture" meta:"0-100" help:"lowest quality automatic tuning may use"`
	Speed            int      `opt:"speed" group:"picture" meta:"0-100" help:"encoding speed (0: automatic)"`
	MinSpeed         int      `opt:"min-speed" group:"picture" meta:"0-100" help:"lowest speed automatic tuning may use"`
	Mmap             string   `opt:"mmap" group:"picture" meta:"yes|no|PATH" help:"pass pixels through a shared file when client and server share the machine (client: offer one; server: accept one; an absolute PATH names the file)"`
	AutoRefreshDelay float64  `opt:"auto-refresh-delay" group:"picture" meta:"SECONDS" help:"delay before a lossless refresh after lossy updates (0: none)"`

	// Client
	Title       string   `opt:"title" group:"client" meta:"TEMPLATE" help:"window title template (@title@, @client-machine@, @server-machine@, @session-name@)"`
	Border      string   `opt:"border" group:"client" meta:"COLOR[,SIZE]" help:"coloured border around remote windows"`
	KeyShortcut []string `opt:"key-shortcut" group:"client" meta:"KEYS:ACTION" help:"keyboard shortcut handled by the client (repeatable)"`
	Cursors     bool     `opt:"cursors" group:"client" help:"forward cursors"`
	Bell        bool     `opt:"bell" group:"client" help:"forward the bell"`
	Reconnect   bool     `opt:"reconnect" group:"client" help:"reconnect when the connection drops (not when the server ends the session)"`
	// DesktopFullscreen is xpra's --desktop-fullscreen.
	DesktopFullscreen bool `opt:"desktop-fullscreen" group:"client" help:"show the window of a desktop or shadow session fullscreen (a desktop session's screen takes the local screen's size)"`

	// Keyboard
	KeyboardSync     bool     `opt:"keyboard-sync" group:"keyboard" help:"send key presses and releases as they happen (off: the server repeats keys)"`
	KeyboardRaw      bool     `opt:"keyboard-raw" group:"keyboard" help:"send raw keycodes, no keysym mapping"`
	KeyboardLayout   string   `opt:"keyboard-layout" group:"keyboard" meta:"LAYOUT" help:"keyboard layout (e.g. us, de)"`
	KeyboardLayouts  []string `opt:"keyboard-layouts" group:"keyboard" meta:"LAYOUT" help:"keyboard layouts to switch between"`
	KeyboardVariant  string   `opt:"keyboard-variant" group:"keyboard" meta:"VARIANT" help:"keyboard layout variant"`
	KeyboardVariants []string `opt:"keyboard-variants" group:"keyboard" meta:"VARIANT" help:"keyboard layout variants"`
	KeyboardOptions  string   `opt:"keyboard-options" group:"keyboard" meta:"OPTIONS" help:"XKB options (e.g. ctrl:nocaps)"`
	Keyboard         string   `opt:"keyboard" group:"keyboard" meta:"query|clone|MODEL/LAYOUT|rmlvo/R#M#L#V#O" help:"the session's XKB keyboard, in NX's keyboard= forms: query (keep and report it), clone (the client's, at each attach), MODEL/LAYOUT, or rules#model#layout#variant#options"`

	// Clipboard
	Clipboard           string `opt:"clipboard" group:"clipboard" meta:"yes|no|BACKEND" help:"clipboard synchronization (yes: the x11 backend; NX's both, client, server and none also set the direction)"`
	ClipboardDirection  string `opt:"clipboard-direction" group:"clipboard" enum:"both|to-server|to-client|disabled|client|server|none" help:"direction of clipboard synchronization (NX: client = to-server, server = to-client, none = disabled)"`
	ClipboardFilterFile string `opt:"clipboard-filter-file" group:"clipboard" meta:"FILE" help:"file of regular expressions; matching clipboard contents are dropped"`

	// Plugins holds the encoder, auth, clipboard and transport blocks of
	// the configuration files. Their bodies are checked against each
	// plugin's own schema when the plugin is loaded, not here.
	Plugins []PluginBlock `opt:"-"`
}

// Defaults returns the configuration used when no file and no flag says
// otherwise. The values follow xpra's where xroam behaves the same.
func Defaults() Config {
	return Config{
		SocketDirs:          []string{"$XDG_RUNTIME_DIR/xroam", "~/.xroam"},
		Windows:             true,
		Daemon:              true,
		LogDir:              "auto",
		LogFile:             "$DISPLAY.log",
		SocketPermissions:   "600",
		Xvfb:                "Xvfb +extension Composite +extension DAMAGE +extension RANDR +extension MIT-SHM +extension XTEST -screen 0 5760x2560x24+32 -dpi 96 -nolisten tcp -noreset",
		ResizeDisplay:       true,
		StartNewCommands:    true,
		HTML:                "auto",
		Bind:                []string{"auto"},
		MinPort:             1024,
		RFBUpgrade:          5,
		SSH:                 "ssh -x",
		ExitSSH:             true,
		RemoteXroam:         "xroam",
		BandwidthLimit:      "auto",
		Compress:            1,
		SSL:                 "auto",
		SSLCACerts:          "default",
		SSLProtocol:         "TLSv1_2",
		SSLCiphers:          "DEFAULT",
		SSLClientVerifyMode: "optional",
		SSLServerVerifyMode: "required",
		SSLCheckHostname:    true,
		Encoding:            "auto",
		Encodings:           []string{"all"},
		VideoEncoders:       []string{"all"},
		CSCModules:          []string{"all"},
		Mmap:                "yes",
		MinQuality:          30,
		MinSpeed:            30,
		AutoRefreshDelay:    0.15,
		Title:               "@title@ on @client-machine@",
		Border:              "auto,5:off",
		KeyShortcut:         []string{"Meta+Shift+F4:quit"},
		Cursors:             true,
		Bell:                true,
		Reconnect:           true,
		KeyboardSync:        true,
		Clipboard:           "yes",
		ClipboardDirection:  "both",
	}
}
