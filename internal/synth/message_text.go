package synth

import (
	"fmt"
	"strconv"
	"strings"
)

// The texts of generated messages.
//
// A person's own message is put together from many sentence patterns,
// each with slots filled from long lists, and numbers, times and names of
// its own, so that two people's messages share little more than a greeting
// (what a text-similarity hash must not mistake for a template). A
// campaign's text is one template with a few slots, the same for all its
// accounts but the slots: near-duplicates.

// fill replaces each {slot} of pattern with a draw from its list; a slot
// without a list is left as it is.
func fill(r *rng, pattern string, extra map[string]string) string {
	pattern = alternate(r, pattern)
	var b strings.Builder
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:i])
		slot := pattern[i+1 : i+j]
		switch v, ok := extra[slot]; {
		case ok:
			b.WriteString(v)
		default:
			b.WriteString(slotValue(r, slot))
		}
		pattern = pattern[i+j+1:]
	}
}

// alternate replaces each [a|b|c] of pattern with one of its options
// (not nested); r nil takes the first.
func alternate(r *rng, pattern string) string {
	for {
		i := strings.IndexByte(pattern, '[')
		if i < 0 {
			return pattern
		}
		j := strings.IndexByte(pattern[i:], ']')
		if j < 0 {
			return pattern
		}
		opts := strings.Split(pattern[i+1:i+j], "|")
		choice := opts[0]
		if r != nil {
			choice = pick(r, opts)
		}
		pattern = pattern[:i] + choice + pattern[i+j+1:]
	}
}

// slotValue draws a value for one slot of the personal patterns.
func slotValue(r *rng, slot string) string {
	switch slot {
	case "num":
		return strconv.Itoa(r.between(2, 40))
	case "time":
		return fmt.Sprintf("%d:%s", r.between(1, 12), pick(r, []string{"00", "15", "30", "45", "10", "20", "40", "50"}))
	case "money":
		return fmt.Sprintf("%d.%02d", r.between(3, 480), r.intn(100))
	case "date":
		return fmt.Sprintf("%s %d", pick(r, months[:]), r.between(1, 28))
	case "room":
		return strconv.Itoa(r.between(101, 950))
	}
	if xs, ok := slotLists[slot]; ok {
		return pick(r, xs)
	}
	return "{" + slot + "}"
}

var months = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September",
	"October", "November", "December"}

var slotLists = map[string][]string{
	"day": {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "tomorrow", "tonight",
		"this weekend", "next week", "the weekend after", "Friday evening", "Sunday morning", "Tuesday night"},
	"friend": {"Anna", "Marco", "Priya", "Tom", "Lena", "Jules", "Sam", "Noor", "Kenji", "Ines", "Ola", "Dmitri",
		"Chloe", "Ravi", "Beatriz", "Femi", "Hana", "Lucas", "Mila", "Oscar", "Zoe", "Arjun", "Greta", "Theo",
		"Yusuf", "Camille", "Bram", "Nadia", "Pedro", "Sakura", "Aunt Carol", "Uncle Ray", "Grandma", "Mum", "Dad",
		"my cousin", "my sister", "my brother", "the neighbours", "my boss", "our landlord"},
	"food": {"lasagne", "dumplings", "tacos", "curry", "pho", "paella", "pierogi", "sushi", "banana bread",
		"jollof rice", "feijoada", "ramen", "apple pie", "shakshuka", "moussaka", "pancakes", "biryani", "gnocchi",
		"falafel", "lemon cake", "chili", "pad thai", "borscht", "empanadas", "cheesecake", "risotto"},
	"place": {"the library", "the park", "the station", "the old bakery", "the gym", "the market", "the café on the corner",
		"the dentist", "the garage", "the post office", "the beach", "the lake", "the cinema", "the museum",
		"the hardware store", "the clinic", "the pool", "the bookshop", "the pharmacy", "the stadium", "the airport",
		"the pub", "the community centre", "the farmers market", "the botanical garden", "the ice rink"},
	"thing": {"the charger", "your umbrella", "the blue jacket", "the spare keys", "the camping stove", "the drill",
		"the board game", "the printer cable", "your water bottle", "the recipe book", "the baby monitor",
		"the tent", "the ladder", "the headphones", "the extension cord", "the photo album", "the scarf",
		"the bike pump", "the slow cooker", "the projector", "the guitar tuner", "the sleeping bags"},
	"activity": {"hiking", "the pottery class", "choir practice", "football training", "the book club", "yoga",
		"swimming lessons", "the quiz night", "volunteering at the shelter", "the chess club", "piano lessons",
		"the running group", "painting", "the language exchange", "rock climbing", "the salsa class",
		"gardening at the allotment", "the knitting circle", "the photography walk", "bouldering"},
	"event": {"the wedding", "the school play", "her birthday", "the barbecue", "the housewarming", "the reunion",
		"the graduation", "the concert", "the street party", "the christening", "the farewell dinner",
		"the parents' evening", "the match", "the funeral", "the baby shower", "the anniversary dinner"},
	"feeling": {"exhausted", "really happy", "a bit nervous", "relieved", "so excited", "under the weather",
		"much better", "completely swamped", "quite homesick", "proud of her", "grateful", "a little lost"},
	"show": {"that cooking show", "the new detective series", "the documentary about whales", "the football final",
		"the film you recommended", "the baking competition", "the space series", "that quiz programme",
		"the historical drama", "the nature documentary", "the stand-up special", "the chess tournament"},
	"city": {"Lisbon", "Kraków", "Osaka", "Edinburgh", "Toronto", "Lyon", "Porto", "Seville", "Busan", "Cape Town",
		"Melbourne", "Vienna", "Bruges", "Valencia", "Hanoi", "Montreal", "Bologna", "Tbilisi", "Oaxaca", "Bergen"},
	"pet": {"the dog", "the cat", "Biscuit", "Luna", "the kitten", "our old dog", "the hamster", "Max", "Pepper",
		"the puppy", "the parrot", "Mochi"},
	"chore": {"fix the fence", "paint the hallway", "sort out the taxes", "clean the gutters", "renew my passport",
		"return the library books", "book the car service", "call the insurance", "move the sofa",
		"change the tyres", "clear out the garage", "plant the tomatoes", "assemble the wardrobe"},
	"adj": {"lovely", "chaotic", "quiet", "rainy", "busy", "strange", "wonderful", "long", "freezing", "sunny",
		"stressful", "relaxing", "windy", "productive"},
}

// personalPatterns are sentences people write to friends and family.
var personalPatterns = [...]string{
	"Are you still up for {activity} on {day}?",
	"I finally made the {food} from your recipe and it was {adj}.",
	"Can you bring {thing} when you come over {day}?",
	"We met {friend} at {place} and she asked about you.",
	"The train was {num} minutes late again, so I missed {activity}.",
	"I owe you {money} for the tickets, I'll send it {day}.",
	"{pet} has been {feeling} since the vet visit.",
	"Did you watch {show}? I stayed up until {time} to finish it.",
	"We're thinking of going to {city} in {date}, any tips?",
	"I have to {chore} {day}, so maybe the weekend after?",
	"Thanks again for dinner, the {food} was amazing.",
	"{friend} says hi and wants to know if you're coming to {event}.",
	"I left {thing} at your place, no rush.",
	"The kids loved {place}, we stayed for {num} hours.",
	"Work has been {adj} this week and I'm {feeling}.",
	"Shall we meet at {place} around {time}?",
	"I'm bringing {food} to {event}, is that okay?",
	"Can you remind me what time {event} starts?",
	"I've started {activity} and I'm {feeling} about it.",
	"My flight to {city} lands at {time} on {date}.",
	"Here is the address for {event}: flat {room}, the blue door next to {place}.",
	"The plumber finally came and it cost {money}, can you believe it.",
	"Could you water the plants while we're in {city}?",
	"I found {thing} in the car, is it yours?",
	"Happy birthday! Hope you have a {adj} day and lots of {food}.",
	"{friend} and I are going to {place} {day} if you want to join.",
	"Sorry I missed your call, I was at {place}.",
	"We finally managed to {chore}, it only took {num} hours.",
	"The weather in {city} was {adj} but we had a great time.",
	"Don't forget {friend}'s {event} on {date}.",
	"I booked a table for {num} at {time}.",
	"Mum wants to know if you still have {thing}.",
	"It was {adj} to see you at {event}, let's not wait so long next time.",
	"I can pick you up from {place} at {time} if that helps.",
	"The parcel with {thing} should arrive {day}.",
	"Have you heard back about the job yet? Fingers crossed.",
	"I've attached the photos from {event}, the light was {adj}.",
	"My sister recommended {show}, we might watch it {day}.",
	"The landlord says they'll {chore} by {date}.",
	"Let me know how much I owe for {food}, I think it was {money}.",
	"{pet} chewed {thing} again.",
	"We had {food} at {place}, you would have loved it.",
	"Is {day} still good for {activity}?",
	"I'm {feeling} after {activity}, my legs hurt.",
	"Grandma asked me to send you the recipe for {food}.",
	"The meeting at {place} moved to {time} on {day}.",
	"Tell {friend} I said congratulations on {event}!",
	"I can't find {thing} anywhere, did you borrow it?",
	"The bus from {place} takes about {num} minutes now.",
	"We're back from {city}, {adj} trip but I'm {feeling}.",
	"Could you send me the number of the person who helped us {chore}?",
	"I signed up for {activity} on {date}, want to come along?",
	"The tickets for {event} are {money} each, shall I get two?",
	"Just checking you got home okay from {place}.",
	"Our new address is flat {room}, I'll send the postcode later.",
	"I tried {food} in {city} and it changed my life.",
	"Remember to bring {thing} for {activity}.",
	"It's been {adj} here, {pet} refuses to go outside.",
	"I'll be at {place} until {time}, call me if you need anything.",
	"Did {friend} ever return {thing}?",
}

// A free sentence: someone did something somewhere at some time, from
// lists long enough that two people rarely write the same one.
var (
	subjects = [...]string{"I", "We", "{friend}", "My neighbour", "The kids", "Dad", "Mum", "Our team", "My flatmate",
		"{friend} and I", "Everyone at work", "Half the street", "The twins", "My cousin", "Grandpa"}
	verbPhrases = [...]string{"finally fixed", "spent ages looking for", "borrowed", "accidentally broke", "repainted",
		"spent the whole afternoon at", "got lost on the way to", "signed up at", "ran into an old friend at",
		"had a picnic near", "queued for an hour at", "walked past", "cycled to", "argued about", "laughed about",
		"sold", "cleaned", "tried to cook", "found a bargain at", "volunteered at", "took photos of", "missed the bus to",
		"talked for hours about", "planted roses by", "raised money for", "watched the fireworks from"}
	doneTo = [...]string{"{thing}", "{place}", "{food}", "the old car", "the shed", "{show}", "the kitchen tap",
		"the back garden", "the attic", "a second-hand sofa", "the allotment", "the village hall", "a tiny bookshop",
		"the river path", "the new bakery", "the school gate", "a flea market", "the hill behind the church"}
	whens = [...]string{"{day}", "last night", "after work", "at {time}", "on {date}", "before breakfast",
		"during the storm", "over the holidays", "in the rain", "at lunchtime", "this morning", "for {num} minutes",
		"again", "by mistake", "with {friend}", "while you were away"}
	markers = [...]string{"By the way: ", "Oh! ", "Honestly? ", "Anyway. ", "Guess what? ", "Funny thing: ",
		"Also - ", "So. ", "Well. ", "In other news: ", "Believe it or not: ", "Random, but: ", "PS: ", "Right. ",
		"Not sure if I told you: ", "Speaking of which: "}
	tails = [...]string{" Crazy, right?", " Typical.", " Long story.", " :)", " Ha!", " Can't wait.", " Ugh.",
		" Who knew.", " Fingers crossed.", " Never again.", " So worth it.", " Don't ask."}
)

// freeSentence builds a sentence from the grammar above.
func freeSentence(r *rng) string {
	return fill(r, pick(r, subjects[:])+" "+pick(r, verbPhrases[:])+" "+pick(r, doneTo[:])+" "+pick(r, whens[:])+".", nil)
}

// openers and closers of personal messages, by the language the person
// writes in (the locale's country); others write English.
var openers = map[string][]string{
	"":   {"Hi {to},", "Hey {to}!", "Hello {to},", "Dear {to},", "{to},", "Hi there,", "Morning {to}!", "Hiya,"},
	"DE": {"Hallo {to},", "Liebe {to},", "Hi {to},", "Servus {to},"},
	"FR": {"Bonjour {to},", "Salut {to} !", "Coucou {to},", "Chère {to},"},
	"BR": {"Olá {to},", "Oi {to}!", "Bom dia {to},", "E aí {to},"},
	"RU": {"Привет, {to}!", "Здравствуй, {to},", "Hi {to},"},
	"UA": {"Привіт, {to}!", "Добрий день, {to},", "Hi {to},"},
	"CN": {"{to}你好，", "Hi {to},", "亲爱的{to}，"},
	"JP": {"{to}さん、こんにちは。", "Hi {to},", "{to}さん、お疲れさまです。"},
	"NL": {"Hoi {to},", "Hallo {to},", "Beste {to},"},
}

var closers = map[string][]string{
	"":   {"Cheers,", "Love,", "Talk soon,", "Best,", "Take care,", "See you soon,", "xx", "Thanks!", "Speak later,"},
	"DE": {"Liebe Grüße,", "Bis bald,", "Viele Grüße,", "LG,"},
	"FR": {"Bises,", "À bientôt,", "Bonne journée,", "Amitiés,"},
	"BR": {"Beijos,", "Abraços,", "Até logo,", "Um abraço,"},
	"RU": {"Пока,", "Обнимаю,", "До встречи,"},
	"UA": {"Бувай,", "Обіймаю,", "До зустрічі,"},
	"CN": {"谢谢！", "祝好，", "回头聊，"},
	"JP": {"よろしくお願いします。", "またね。", "ではまた。"},
	"NL": {"Groetjes,", "Tot snel,", "Liefs,"},
}

// personalText is a message one person writes to another: a greeting, a
// few sentences of their own, a sign-off and their name.
func personalText(r *rng, country, to, signature string) string {
	ops, ok := openers[country]
	if !ok || r.chance(0.4) {
		ops = openers[""]
	}
	cls, ok := closers[country]
	if !ok || r.chance(0.4) {
		cls = closers[""]
	}
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(pick(r, ops), "{to}", to))
	b.WriteString("\n\n")
	k := r.between(3, 6)
	idx := shuffled(r, indexes(len(personalPatterns)))[:k]
	for i, j := range idx {
		if i > 0 {
			if r.chance(0.3) {
				b.WriteString("\n\n")
			} else {
				b.WriteString(" ")
			}
		}
		sentence := fill(r, personalPatterns[j], nil)
		if r.chance(0.5) {
			sentence = freeSentence(r)
		}
		if r.chance(0.3) {
			sentence = pick(r, markers[:]) + capitalizeFirst(sentence)
		}
		b.WriteString(capitalizeFirst(sentence))
		if r.chance(0.15) {
			b.WriteString(pick(r, tails[:]))
		}
	}
	b.WriteString("\n\n")
	b.WriteString(pick(r, cls))
	if signature != "" {
		b.WriteString("\n" + signature)
	}
	b.WriteString("\n")
	return b.String()
}

func indexes(n int) []int {
	ix := make([]int, n)
	for i := range ix {
		ix[i] = i
	}
	return ix
}

// capitalizeFirst upper-cases an ASCII first letter.
func capitalizeFirst(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// personalSubjects are what people put in the subject line, if anything.
var personalSubjects = [...]string{"", "", "hi", "Re: this weekend", "dinner", "photos", "quick question", "tickets",
	"Re: Re: plans", "hello from us", "news", "the recipe", "Saturday?", "sorry!", "address", "Fwd: info",
	"birthday", "thanks", "trip", "Re: hello", "catching up", "the keys", "tomorrow", "update"}

// coverTemplate is an operation's cover letter: one of a few variants of
// each paragraph, chosen once for the operation, with slots for the
// persona's name, the company and the role.
type coverTemplate struct {
	paras   []string
	subject string
	skills  string
	years   int
}

// coverVariants are the paragraphs an operation's letter is made of, two
// variants of each.
var coverVariants = [...][2]string{
	{"Dear Hiring Manager,", "Dear Recruiting Team,"},
	{"I am writing to express my strong interest in the {role} position at {company}. With {years} years of professional experience building scalable web and mobile applications, I am confident that I can contribute to your team from day one.",
		"I am excited to apply for the {role} role at {company}. Over the past {years} years I have delivered reliable, high-performance software for startups and enterprise clients alike, and I would love to bring that experience to your team."},
	{"My core skills include {skills}. I have led the migration of legacy systems to cloud-native architectures, designed RESTful and GraphQL APIs, and mentored junior developers in code review and testing practices.",
		"I specialise in {skills}. In my recent roles I designed microservices, automated CI/CD pipelines, and improved application performance by more than 40 percent while keeping costs under control."},
	{"In my most recent position I owned the full delivery cycle of a customer-facing platform used by hundreds of thousands of people, from requirements and architecture to monitoring in production. I introduced automated testing that cut release defects in half and shortened our deployment time from days to minutes.",
		"At my last company I was responsible for a high-traffic e-commerce platform, where I rebuilt the checkout service, added end-to-end monitoring and reduced page load times significantly. I enjoy solving difficult technical problems and explaining them clearly to non-technical colleagues."},
	{"I am fully comfortable working remotely across time zones, I communicate proactively, and I take ownership of my work from the first sprint to production support. I am also happy to adjust my hours to overlap with your core business day.",
		"I have worked remotely for most of my career and am used to collaborating with distributed teams, keeping clear documentation and meeting every deadline. I am flexible with working hours and available for daily stand-ups in your time zone."},
	{"Please find my resume attached. I would welcome the opportunity to discuss how my background fits the needs of your team. I am available for an interview at your convenience.",
		"My resume is attached for your review. I would be glad to talk about how I can help your team reach its goals, and I can start immediately."},
	{"Thank you for your time and consideration.\n\nBest regards,\n{name}", "Thank you very much for considering my application.\n\nSincerely,\n{name}"},
}

var techSkills = [...]string{
	"React, Node.js and TypeScript", "Java, Spring Boot and AWS", "Python, Django and PostgreSQL",
	"Go, Kubernetes and Terraform", "Flutter, Kotlin and Swift", "Angular, .NET Core and Azure",
	"Vue.js, Laravel and MySQL", "blockchain development with Solidity and Rust",
}

var roles = [...]string{"Senior Software Engineer", "Full Stack Developer", "Backend Engineer", "Frontend Developer",
	"Mobile Developer", "DevOps Engineer", "Blockchain Developer", "Senior React Developer", "Java Developer",
	"Cloud Engineer", "Software Engineer (Remote)", "Lead Developer", "Python Developer", "Data Engineer"}

func newCoverTemplate(r *rng) coverTemplate {
	t := coverTemplate{skills: pick(r, techSkills[:]), years: r.between(6, 12)}
	for _, v := range coverVariants {
		t.paras = append(t.paras, v[r.intn(2)])
	}
	t.subject = pick(r, []string{"Application for {role} - {name}", "{role} Position - {name}", "Application: {role}",
		"Experienced {role} interested in joining {company}", "Re: {role} opening"})
	return t
}

// letter is the template filled in for one application.
func (t coverTemplate) letter(name, company, role string) string {
	slots := map[string]string{"name": name, "company": company, "role": role, "skills": t.skills, "years": strconv.Itoa(t.years)}
	return fill(nil, strings.Join(t.paras, "\n\n"), slots) + "\n"
}

func (t coverTemplate) subjectFor(name, company, role string) string {
	return fill(nil, t.subject, map[string]string{"name": name, "company": company, "role": role})
}

// jobSeekerText is a genuine job seeker's own short application.
func jobSeekerText(r *rng, name, company, role string) string {
	return fill(r, pick(r, []string{
		"Hello,\n\nI saw the {role} opening at {company} and would like to apply. I have attached my CV. I worked at {place2} for {num} years and I am looking for something closer to home.\n\nKind regards,\n{name}\n",
		"Dear {company} team,\n\nPlease find attached my application for the {role} position. I am available to start on {date} and happy to come in for a chat any {day}.\n\nThank you,\n{name}\n",
		"Hi,\n\nA friend told me {company} is hiring a {role}. My CV is attached; I recently finished my course and have done {activity} as a volunteer for {num} months.\n\nBest wishes,\n{name}\n",
	}), map[string]string{"name": name, "company": company, "role": role,
		"place2": pick(r, []string{"a local bakery", "the city council", "a logistics firm", "a small design studio", "a call centre", "a hotel", "a school"})})
}

// spamTheme is a bot wave's message: a subject and body with slots.
type spamTheme struct{ subject, body string }

var spamThemes = [...]spamTheme{
	{"Congratulations {name}, you have been selected!",
		"Dear {name},\n\nYou have been selected to receive a {brand} reward worth ${amount}. To claim your reward, confirm your details within 24 hours:\n\nhttps://{host}/claim/{code}\n\nThis offer expires soon. Reference: {code}\n\nCustomer Rewards Department\n"},
	{"Your account will be suspended",
		"Hello {name},\n\nWe detected unusual activity on your {brand} account. Your account will be suspended unless you verify your information today.\n\nVerify now: https://{host}/verify?id={code}\n\nThank you,\n{brand} Security Team\n"},
	{"Earn ${amount} per day from home",
		"Hi {name},\n\nAre you tired of your 9-5? Our members earn ${amount} per day working from home with just a phone. No experience needed!\n\nJoin today: https://{host}/join/{code}\n\nLimited places available.\n"},
	{"Invoice #{code} overdue",
		"Dear customer,\n\nYour invoice #{code} of ${amount} is overdue. Please review the attached statement and settle the balance to avoid late fees.\n\nPayment portal: https://{host}/pay/{code}\n\nAccounts Receivable\n{brand}\n"},
	{"Hot singles near you want to meet",
		"Hey {name}!\n\nSomeone in your area viewed your profile {amount} times this week. See who it is before they are gone:\n\nhttps://{host}/m/{code}\n\nUnsubscribe: https://{host}/u/{code}\n"},
}

var spamBrands = [...]string{"Amazon", "PayPal", "Netflix", "Walmart", "Costco", "Apple", "DHL", "Chase"}

// slowThemes are a slow wave's quieter messages.
var slowThemes = [...]spamTheme{
	{"Quick question",
		"Hi {name},\n\nI came across your profile and wanted to share something that has changed my finances this year. My mentor helped me grow a small investment of ${amount} in crypto trading within weeks.\n\nIf you are curious, have a look here: https://{host}/{code}\n\nWarm regards,\n{sender}\n"},
	{"Your parcel is waiting",
		"Hello,\n\nYour parcel could not be delivered because of an unpaid customs fee of ${amount}. Please arrange payment to schedule a new delivery:\n\nhttps://{host}/track/{code}\n\nDelivery Services\n"},
	{"Long time no see",
		"Hey {name},\n\nIt has been a while! I started a small online business and I think you would love it. Check out our new collection, friends get {amount}% off:\n\nhttps://{host}/shop/{code}\n\n{sender}\n"},
}

// fillTheme fills a theme for one message: the wave's host and brand, a
// code and an amount of its own.
func fillTheme(r *rng, th spamTheme, name, sender, host, brand string) (subject, body string) {
	slots := map[string]string{
		"name": name, "sender": sender, "host": host, "brand": brand,
		"code": r.alnum(r.between(8, 12)), "amount": strconv.Itoa(r.between(5, 95) * 10),
	}
	return fill(r, th.subject, slots), fill(r, th.body, slots)
}

// chainLetters are popular texts people forward verbatim.
var chainLetters = [...]struct{ subject, body string }{
	{"FW: Please read - warning from the police",
		"PLEASE FORWARD TO EVERYONE YOU KNOW!!!\n\nA friend of a friend who works at the police station says that criminals are now leaving small plastic bottles on car windscreens in supermarket car parks. When you get out of the car to remove the bottle, they steal your car or your handbag. Do NOT get out of your car. Drive away and call the police.\n\nThis has happened in several towns already this month. Share this with your family and friends, it could save someone's life.\n\nBetter safe than sorry!\n"},
	{"Fwd: Fwd: A beautiful message for your day",
		"Life is not measured by the number of breaths we take, but by the moments that take our breath away.\n\nSend this to ten people you love within the next hour and something wonderful will happen tomorrow. Do not break the chain! It has been around the world nine times and everyone who forwarded it had good luck within four days.\n\nA smile costs nothing but gives much. It enriches those who receive without making poorer those who give.\n\nHave a blessed day.\n"},
}

// forwardNote is what a person writes above what they forward, if
// anything.
func forwardNote(r *rng) string {
	return pick(r, []string{"", "", "", "lol", "Haha look at this", "Saw this and thought of you!", "FYI",
		"Is this true??", "Too funny", "For the group", "See below", "You have to see this"})
}
