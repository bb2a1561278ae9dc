using Lethe.Firewall;

namespace Lethe.EndToEnd.Tests;

/// <summary>SIGHUPs that come while a reload runs are not lost: the file may have changed after that reload read it.</summary>
public sealed class HangUpTests
{
    [Fact]
    public async Task signals_during_a_reload_make_it_run_once_more_when_it_ends()
    {
        var error = new StringWriter();
        using var hangUp = new HangUp(TextWriter.Synchronized(error));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        async Task Reload()
        {
            var run = Interlocked.Increment(ref runs);
            if (run == 1)
            {
                started.SetResult();
                await release.Task;
            }
            else
            {
                secondDone.TrySetResult();
            }
        }

        hangUp.Request(Reload);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        hangUp.Request(Reload);
        hangUp.Request(Reload);
        release.SetResult();
        await secondDone.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // Long enough for a wrong third run to show.
        await Task.Delay(300);

        Assert.Equal(2, Volatile.Read(ref runs));
        Assert.Contains("the snapshot is read again when it ends", error.ToString());
    }

    [Fact]
    public async Task a_reload_that_fails_does_not_stop_later_ones()
    {
        var error = new StringWriter();
        using var hangUp = new HangUp(TextWriter.Synchronized(error));
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Task Reload() => Interlocked.Increment(ref runs) == 1 ? throw new InvalidOperationException("broken") : Task.Run(second.SetResult);

        hangUp.Request(Reload);
        var failed = await Eventually(() => error.ToString().Contains("reload: failed: broken", StringComparison.Ordinal));
        hangUp.Request(Reload);

        Assert.True(failed);
        await second.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task<bool> Eventually(Func<bool> done)
    {
        for (var i = 0; i < 100 && !done(); i++)
        {
            await Task.Delay(50);
        }
        return done();
    }
}
