//go:build race

package imagehash

// raceEnabled is true under the race detector, which makes TestMatchRates
// several times slower; it then measures fewer pictures.
const raceEnabled = true
