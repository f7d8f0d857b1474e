// A built-in stream of small synthetic classification tasks that needs no data folder.

/// Four synthetic classification tasks that make forgetting visible in minutes on a 135M model.
///
/// **Input.** Every example's input is one common English word, e.g. `"horse"`, from one of three categories
/// (animals, foods, colours; ambiguous words such as "orange" or "plum" are excluded). Each category's words
/// are split once into training and test words, so test words are never seen in training. All tasks draw
/// their inputs from the same words, so they are told apart only by their instruction and option line.
///
/// **Tasks.** Each task asks for the word's category with its own instruction, answered with three made-up
/// words private to that task:
///
///     task          instruction                                  animal  food  colour
///     demo1_kind    What kind of thing is this word?             zib     mok   tal
///     demo2_group   Which group does the word belong to?         pex     rud   fon
///     demo3_class   Name the class of the word.                  gav     lum   sor
///     demo4_sort    Sort the word into its category.             kep     dut   vin
///
/// Prompt (O-LoRA style): `instruction + "Option: " + labels + "\n" + input + "\nAnswer:"`, the options rotated by
/// (k + 1 mod 3) places for task k so that no option position means the same category in every task; target
/// `" " + label`, one short word whose first token differs between all twelve label words.
///
/// **Why it works as a continual-learning probe.** The label words are nonsense, so the base model is near
/// chance zero-shot. The category is what the base model's embeddings already encode, so a rank-8 LoRA learns
/// each mapping from ~100 examples in 2 epochs. The tasks interfere: fine-tuned on the last task alone, a model
/// answers earlier tasks with the last task's words (never correct there) or guesses among their options.
/// Everything is deterministic from the seed.
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
        Spec(name: "demo1_kind", instruction: "What kind of thing is this word?\n",
             labels: ["zib", "mok", "tal"], position: 0),
        Spec(name: "demo2_group", instruction: "Which group does the word belong to?\n",
             labels: ["pex", "rud", "fon"], position: 0),
        Spec(name: "demo3_class", instruction: "Name the class of the word.\n",
             labels: ["gav", "lum", "sor"], position: 0),
        Spec(name: "demo4_sort", instruction: "Sort the word into its category.\n",
             labels: ["kep", "dut", "vin"], position: 0),
    ]

    /// Number of words in an input list.
    public static let wordsPerInput = 1

    /// The demo stream: `trainPerTask` training and `testPerTask` test examples per task, from `seed`.
    public static func tasks(seed: UInt64, trainPerTask: Int = 100, testPerTask: Int = 50) -> [TaskData] {
        let (train, test) = inputs(seed: seed, train: trainPerTask, test: testPerTask)
        return specs.enumerated().map { taskIndex, spec in
            // Options listed in a task-specific rotation, so "the category's place in the option list" differs
            // between tasks too: a model must learn each task's own mapping, not one shared positional rule.
            let shift = (taskIndex + 1) % spec.labels.count
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

    /// `train` then `test` inputs, each a word with its category index. The words of each category are split
    /// once (about 2/3 for training, the rest for testing), so test words are never seen in training: a model
    /// must learn the category, not memorise words. Sampled with replacement, balanced by category.
    static func inputs(seed: UInt64, train: Int, test: Int) -> (
        train: [[(word: String, category: Int)]], test: [[(word: String, category: Int)]]
    ) {
        var rng = SplitMix64(seed: seed ^ 0x5E7A_DE30_5EED_0001)
        let split = categories.map { words -> (train: [String], test: [String]) in
            let cut = (words.count * 2 + 2) / 3
            return (Array(words[..<cut]), Array(words[cut...]))
        }
        func draw(_ n: Int,
                  _ pick: ((train: [String], test: [String])) -> [String]) -> [[(word: String, category: Int)]] {
            (0..<max(0, n)).map { i in
                let c = (i + rng.below(categories.count)) % categories.count
                let pool = pick(split[c])
                return [(pool[rng.below(pool.count)], c)]
            }
        }
        return (draw(train) { $0.train }, draw(test) { $0.test })
    }
}
