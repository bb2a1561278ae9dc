using Lethe.Application.Ports;
using Lethe.Infrastructure.Marten;
using Lethe.Infrastructure.Signing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Infrastructure;

public static class InfrastructureServices
{
    public static IServiceCollection AddLetheInfrastructure(this IServiceCollection services, string connectionString, bool createSchema,
        string signingKeyPath)
    {
        services.AddMarten(options => LetheStoreOptions.Configure(options, connectionString, createSchema)).UseLightweightSessions();
        services.AddScoped<IPolicyStore, MartenPolicyStore>();
        services.AddSingleton(_ => new FileSnapshotSigner(signingKeyPath));
        services.AddSingleton<ISnapshotSigner>(sp => sp.GetRequiredService<FileSnapshotSigner>());
        return services;
    }
}
