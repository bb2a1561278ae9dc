namespace Lethe.Control.Tests;

internal static class Eventually
{
    /// <summary>Polls until <paramref name="done"/> answers true or the time is up; returns whether it did.</summary>
    public static async Task<bool> Holds(Func<Task<bool>> done, double seconds = 15)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (await done())
            {
                return true;
            }
            await Task.Delay(100);
        }
        return await done();
    }
}
