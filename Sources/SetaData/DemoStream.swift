// A built-in stream of small synthetic classification tasks that needs no data folder.

/// Four synthetic classification tasks that make forgetting visible in minutes on a 135M model.
///
/// **Input.** Every example's input is a list of four common English words, e.g. `"cat, bread, blue, horse"`,
/// each drawn uniformly from one of three categories (animals, foods, colours; ambiguous words such as
/// "orange" or "plum" are excluded). All tasks use *the same inputs* (same train and test lists, drawn once
/// from the seed; test lists never occur in train), so they are told apart only by their instruction and
/// option line.
///
/// **Tasks.** Task k (k = 1…4) asks about the k-th word with its own instruction; its label is the category
/// of that word, written with three made-up words private to task k:
///
///     task            question                                          animal  food  colour
///     demo1_first     What kind of thing is the first word?             zib     mok   tal
///     demo2_second    Which group does the second word belong to?       pex     rud   fon
///     demo3_third     Name the class of the third word.                 gav     lum   sor
///     demo4_fourth    Sort the last word into its category.             kep     dut   vin
///
/// Prompt (O-LoRA style): `instruction + "Option: " + labels + "\n" + input + "\nAnswer:"`, the options rotated by
/// (k mod 3) places so that no option position means the same category in every task;, 29–33 tokens with
/// SmolLM2's tokenizer; target `" " + label`, one short word of 1–2 tokens whose first tokens differ between
/// all twelve label words (so the first generated token already decides the answer).
///
/// **Why it works as a continual-learning probe.** (b) The label words are nonsense and assigned by a hidden
/// rule, so a base model is near chance (1/3) zero-shot. (c) The rule is simple and local — one word's
/// category, which the base model's embeddings already encode — so a rank-8 LoRA learns it from ~100
/// examples in 2 epochs. (d) The tasks interfere: a model fine-tuned on the last task alone answers every
/// earlier task with the last task's label words, which are never correct there (label words are disjoint
/// across tasks), so forgetting shows as a drop to 0, not to chance. Classes are balanced in expectation
/// (categories are uniform and independent per position). Everything is deterministic from the seed.
public enum DemoStream {
    /// One task's definition.
    public struct Spec: Sendable, Equatable {
        public var name: String
        public var instruction: String
        /// The label words for animal, food, colour.
        public var labels: [String]
        /// Which word of the input (0-based) decides the label.
        public var position: Int
    }

    /// The word categories, in label order (animal, food, colour).
    public static let categories: [[String]] = [
        ["cat", "dog", "horse", "cow", "pig", "sheep", "goat", "duck", "fish", "bird", "lion", "bear", "mouse",
         "frog", "wolf"],
        ["bread", "rice", "cheese", "apple", "soup", "cake", "egg", "milk", "meat", "pear", "corn", "pie",
         "butter", "pasta", "banana"],
        ["red", "blue", "green", "yellow", "black", "white", "brown", "pink", "gray", "purple", "cyan",
         "magenta"],
    ]

    /// The four tasks, in stream order.
    public static let specs: [Spec] = [
        Spec(name: "demo1_first", instruction: "What kind of thing is the first word?\n",
             labels: ["zib", "mok", "tal"], position: 0),
        Spec(name: "demo2_second", instruction: "Which group does the second word belong to?\n",
             labels: ["pex", "rud", "fon"], position: 1),
        Spec(name: "demo3_third", instruction: "Name the class of the third word.\n",
             labels: ["gav", "lum", "sor"], position: 2),
        Spec(name: "demo4_fourth", instruction: "Sort the last word into its category.\n",
             labels: ["kep", "dut", "vin"], position: 3),
    ]

    /// Number of words in an input list.
    public static let wordsPerInput = 4

    /// The demo stream: `trainPerTask` training and `testPerTask` test examples per task, from `seed`.
    public static func tasks(seed: UInt64, trainPerTask: Int = 100, testPerTask: Int = 50) -> [TaskData] {
        let (train, test) = inputs(seed: seed, train: trainPerTask, test: testPerTask)
        return specs.map { spec in
            // Options listed in a task-specific rotation, so "the category's place in the option list" differs
            // between tasks too: a model must learn each task's own mapping, not one shared positional rule.
            let shift = (spec.position + 1) % spec.labels.count
            let options = Array(spec.labels[shift...] + spec.labels[..<shift])
            let prefix = spec.instruction + "Option: " + options.joined(separator: ", ") + "\n"
            func example(_ words: [(word: String, category: Int)]) -> Example {
                let label = spec.labels[words[spec.position].category]
                return Example(
                    prefix: prefix, input: words.map(\.word).joined(separator: ", "), suffix: "\nAnswer:",
                    target: " " + label, references: [label])
            }
            return TaskData(
                name: spec.name, kind: .classification, labels: spec.labels,
                train: train.map(example), test: test.map(example), skippedRows: 0,
                source: "builtin:demo(seed=\(seed))")
        }
    }

    /// Distinct word lists, `train` then `test` of them, each word with its category index.
    static func inputs(seed: UInt64, train: Int, test: Int) -> (
        train: [[(word: String, category: Int)]], test: [[(word: String, category: Int)]]
    ) {
        var rng = SplitMix64(seed: seed ^ 0x5E7A_DE30_5EED_0001)
        var seen = Set<String>()
        var lists: [[(word: String, category: Int)]] = []
        let total = max(0, train) + max(0, test)
        while lists.count < total {
            let words = (0..<wordsPerInput).map { _ -> (word: String, category: Int) in
                let c = rng.below(categories.count)
                return (categories[c][rng.below(categories[c].count)], c)
            }
            if seen.insert(words.map(\.word).joined(separator: ",")).inserted { lists.append(words) }
        }
        return (Array(lists.prefix(max(0, train))), Array(lists.dropFirst(max(0, train))))
    }
}
