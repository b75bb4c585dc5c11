"""The monitoring agent: inbox, campaign tracking, alerts, self-healing, stakeholder messages, MCP."""
