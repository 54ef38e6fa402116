// Package agentws is the agents' side of the chat: a WebSocket endpoint
// (GET /v1/agent/ws, docs/AGENT_PROTOCOL.md) through which human agents
// receive assignments with the conversation so far, see customers' messages
// and typing, reply, insert canned FAQ answers, transfer (with a note) and
// close chats, and go away or online; supervisors also see the queues and
// every agent, and reassign chats. The agent console (/console) is its
// browser client.
//
// It is a transport beside the widget gateway, over the same session store
// and the router: agents are few (hundreds per node, not tens of
// thousands), so each connection has a reader and a writer goroutine and
// frames are plain encoding/json.
package agentws
