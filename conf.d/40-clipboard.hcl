# Clipboard synchronization.
# clipboard           = "yes"
# clipboard-direction = "both"   # both, to-server, to-client or disabled
