using Lethe.Application.Clients.AddClient;
using Lethe.Application.Policies.CreatePolicy;
using Lethe.Application.Rules.AddRule;

namespace Lethe.Application.Tests;

public static class Seed
{
    /// <summary>Policy "home" with clients work (10.137.0.5) and personal (10.137.0.6), and one https rule for work.</summary>
    public static async Task<string> HomePolicy(ApplicationHost host)
    {
        await host.Send(new CreatePolicy("home", "start"));
        await host.Send(new AddClient("home", "work", ["10.137.0.5"], "work qube"));
        await host.Send(new AddClient("home", "personal", ["10.137.0.6"], "personal qube"));
        var added = await host.Send(new AddRule("home", "work", "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443", null, "https"));
        return added.Id;
    }
}
