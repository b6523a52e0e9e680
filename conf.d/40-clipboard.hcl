# Clipboard synchronization.
# clipboard           = "yes"
# clipboard-direction = "both"   # both, to-server, to-client or disabled
#
# The x11 backend (used by the server on the session's display and by
# `xroam attach` on the local one); both sides read the same block.
# clipboard "x11" {
#   selections = ["CLIPBOARD", "PRIMARY"]   # add "SECONDARY" to keep it too
#   max_size   = 67108864                   # largest transfer in bytes
#   timeout    = "5s"                       # wait for a local application
# }
