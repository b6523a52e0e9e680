# Sessions: the virtual X server, the socket, the commands started with it.
# Every line below shows the default; uncomment and change to override.

# The virtual X server. xroam needs Composite, DAMAGE, RANDR, MIT-SHM and
# XTEST; keep those extensions when you change the screen size or depth.
# xvfb = "Xvfb +extension Composite +extension DAMAGE +extension RANDR +extension MIT-SHM +extension XTEST -screen 0 5760x2560x24+32 -dpi 96 -nolisten tcp -noreset"

# Where the session sockets live; XROAM_SOCKET_DIR overrides socket-dir.
# socket-dirs        = ["$XDG_RUNTIME_DIR/xroam", "~/.xroam"]
# socket-permissions = "600"

# Run in the background with a log file in the session directory.
# daemon = true

# Commands started with every session (xpra's --start); none by default.
# start = ["xterm"]

# Stop the server after this many seconds without a client (0: never).
# server-idle-timeout = 0
