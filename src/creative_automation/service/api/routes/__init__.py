"""One router per resource: campaigns, their outputs, and the operations endpoints."""
