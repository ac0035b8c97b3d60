"""Mail that reaches people: each agency's daily digest and the meeting invitations (`python -m lib.notify`)."""
