// `mpirun -np N seta-microbench --allreduce`: the cost of the gradient all-reduce of data-parallel training,
// MPI_Allreduce (sum, float32, in place) at the sizes of the adapters' gradients on SmolLM2-135M: LoRA r 8 on
// q, v (460,800 floats, 1.8 MB), SETA's trainable tensors in a task (~1.2 M floats), and one full bucket (4 M).
// Median of repeated calls, each after a barrier (so a rank's lateness is not counted); rank 0 prints.
import Foundation
import SetaDistributed

func allReduceBenchmark() throws {
    guard let world = try MPICommunicator.fromEnvironment() else {
        print("--allreduce runs under mpirun, e.g. mpirun -np 2 .build/release/seta-microbench --allreduce")
        return
    }
    if world.rank == 0 { print("MPI_Allreduce (sum, float32, in place) over \(world.size) ranks") }
    for (count, label) in [(460_800, "LoRA r8 q,v gradients"), (1_200_000, "SETA trainable tensors"),
                           (1 << 22, "one 16 MB bucket")] {
        var values = [Float](repeating: 1, count: count)
        var times: [Double] = []
        for i in 0..<(quick ? 8 : 30) {
            world.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            values.withUnsafeMutableBufferPointer { world.allReduceSum($0) }
            if i >= 3 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
        }
        let median = times.sorted()[times.count / 2]
        if world.rank == 0 {
            print(String(format: "  %-26@ %9d floats %8.3f ms  %6.2f GB/s algorithm bandwidth", label as NSString,
                         count, median * 1e3, Double(count * 4) / median / 1e9))
        }
    }
    world.finalize()
}
