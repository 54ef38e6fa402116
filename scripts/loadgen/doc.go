//go:build linux

// Command loadgen is the edgedesk WebSocket load client. It runs on Linux only
// (it reads /proc and paces with nanosleep(2)).
//
// It opens -n sessions against a node (or the bare echo server that serves
// as a baseline) from several loopback source addresses, completes the
// hello/welcome handshake on each, and then either holds the sessions idle
// (-rate 0) or sends customer messages at a fixed total rate, measuring the
// time from each message's scheduled send time to its receipt.
//
// Methodology:
//
//   - Open loop. Each session sends on its own fixed schedule (rate/n
//     messages per second, random phase), independent of when receipts
//     arrive. A slow receipt never delays the next send.
//   - Latency is measured from the scheduled send time, not from the moment
//     the write happened, so time a message spent waiting behind a stalled
//     sender or a full socket is counted (no coordinated omission). The time
//     from the actual write is reported separately as "service latency", and
//     the sender's own lateness as "send lag", so the load client's share
//     of the delay is visible.
//   - Connections are spread round robin over the -src loopback addresses,
//     each bound explicitly, so that more than one address's ~28k ephemeral
//     ports are available.
//
// With -answers it also measures, the same way, the time to the bot's answer
// to each message: the msg frame from "bot" whose reply_to is the seq of the
// message's receipt. -text sets the message sent (JSON-encoded, so any
// characters work) instead of -size bytes of generated text.
//
// Every run is bounded in connections, messages and time, and it refuses any
// target that is not a loopback address.
package main
