// The parts of data parallelism that need no second process: the balanced assignment of work to ranks, the
// one-process communicator, and how the Open MPI world is (not) joined. Two-rank runs: DataParallelTests.
import Foundation
import SetaDistributed
import SetaTensor
import Testing

struct DistributedUnitTests {
    @Test func balancedAssignmentIsAPartitionLargestFirst() {
        let costs = [10, 40, 20, 30, 5, 5]
        let bins = balancedAssignment(costs: costs, ranks: 2)
        #expect(bins.flatMap { $0 }.sorted() == Array(costs.indices))
        // 40 → rank 0, 30 → rank 1, 20 → rank 1 (30 < 40), 10 → rank 0, then 5 and 5 to the lighter rank each time.
        #expect(bins == [[0, 1, 4], [2, 3, 5]])
        let loads = bins.map { $0.reduce(0) { $0 + costs[$1] } }
        #expect(loads == [55, 55])
        // Equal costs: dealt round-robin; more ranks than items: the extra ranks get nothing.
        #expect(balancedAssignment(costs: [1, 1, 1, 1], ranks: 2) == [[0, 2], [1, 3]])
        #expect(balancedAssignment(costs: [3, 1], ranks: 3) == [[0], [1], []])
    }

    @Test func oneProcessCollectivesReturnTheirInput() throws {
        let one = SingleProcess()
        #expect(one.rank == 0 && one.size == 1 && one.isRoot && !one.isDistributed)
        #expect(one.allReduceSum([1.5, 2]) == [1.5, 2])
        #expect(one.any(true) && !one.any(false))
        #expect(try one.allGather(["a": 1]) == [["a": 1]])
        #expect(one.shard([7, 8, 9]) == [7, 8, 9] && one.balancedShare(costs: [3, 1, 2]) == [0, 1, 2])
        // The gradient reduction leaves gradients (and their absence) as they are.
        let p = Tensor(shape: [2], values: [1, 2], requiresGrad: true), q = Tensor(zeros: [3], requiresGrad: true)
        sum(mul(p, p)).backward()
        let scalars = GradientReduction().allReduce([p, q], scalars: [4], over: one)
        #expect(scalars == [4] && p.grad?.values == [2, 4] && q.grad == nil)
    }

    @Test func theMPIWorldIsJoinedOnlyUnderMpirun() throws {
        #expect(try MPICommunicator.fromEnvironment([:]) == nil)
        // Under mpirun (its variable set) but without a loadable Open MPI: a typed error saying what to install.
        do {
            _ = try MPICommunicator.fromEnvironment(["OMPI_COMM_WORLD_SIZE": "2"], library: "libmpi-not-there.so.40")
            Issue.record("expected an error")
        } catch let error as DistributedError {
            #expect(error.localizedDescription.contains("libmpi-not-there.so.40") && error.localizedDescription.contains("apt-get install"))
        }
    }
}
