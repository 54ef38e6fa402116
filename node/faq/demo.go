package faq

import _ "embed"

// Demo is a demo FAQ (JSONL) for a fictional shop, shop.example.com: an
// answer for each intent of the default intent model (track_order,
// cancel_order, change_order, return_refund, shipping, payment, invoice,
// account, complaint, talk_to_human, greeting, thanks), the reserved
// bot texts _fallback, _handoff, _flow_cancelled and _flow_expired, and
// routing's texts to the customer (_agent_joined, _queued, _team_closed,
// _no_agents, _picked_up, _chat_closed), in
// English (en), Spanish (es) and Simplified Chinese (zh), with a few in
// Traditional Chinese (zh-Hant). A node seeds an empty store with it
// (SeedIfEmpty) so that it answers out of the box; its policies (30-day
// returns, €50 free shipping, …) are made up and meant to be replaced.
//
//go:embed demo.jsonl
var Demo []byte
