//go:build race

package mail

// raceEnabled is set when the race detector runs, which makes sync.Pool drop
// items at random: regexp's matcher state, pooled in plain runs, is then
// allocated afresh for every match html2text makes.
const raceEnabled = true
