// Package username turns the mailbox name a new account chose into signals
// of bulk creation. Everything here is pure and allocation-light: it runs on
// every signup.
//
//   - Template gives the shape of a local part ("jsmith4821" -> "l6d4"), a
//     key for counting how many new accounts one generator made.
//   - Model is a character trigram model of personal names, trained on the
//     1990 US Census first names and surnames and the stdlib English
//     first-name lists. Model.Randomness scores how much a username's
//     letters look like random letters rather than names ("xkqzvbrw" 1.00,
//     "jamesmiller" 0.00).
//   - Model.NameMismatch tells how the username was built from the display
//     name, and flags the pattern of bought and farmed persona accounts:
//     a real-looking name padded with random letters ("roblesxyfi" for
//     Margarite Robles), with the filler named for the reason.
//
// The model is committed as model.bin (20 KB) and embedded; Default returns
// it without copying. infra/namemodel regenerates it from the npm packages
// that hold the names, keeping one name in ten out of training to measure
// it on. README.md has the measurements, the thresholds they support and
// the limits: the model knows names of the English-speaking world best, and
// scores names from elsewhere higher, so Randomness alone should never
// suspend an account. NOTICE credits the data.
package username
