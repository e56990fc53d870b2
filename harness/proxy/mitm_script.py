"""The script `mitmdump -s` loads (`mcp-auth-harness proxy --addon-path` prints its path)."""

from harness.proxy.addon import McpAuthAddon

addons = [McpAuthAddon()]
