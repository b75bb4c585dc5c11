"""The monitoring agent: inbox, tracking, alerts, healing, stakeholder updates, MCP server."""
