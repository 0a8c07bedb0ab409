"""Negotiation sessions: a complaint as a conversation over the ladder a decision allows (offer,
decline, counter, escalate, settle, follow up), kept in SQLite and moved by a durable_rules
statechart. A sibling of `qa`: it uses the engine and the language; the front ends use it."""
