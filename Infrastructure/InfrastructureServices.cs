using Lethe.Application.Ports;
using Lethe.Infrastructure.Marten;
using Lethe.Infrastructure.Signing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lethe.Infrastructure;

public static class InfrastructureServices
{
    public static IServiceCollection AddLetheInfrastructure(this IServiceCollection services, string connectionString, bool createSchema,
        string signingKeyPath)
    {
        services.AddMarten(provider =>
        {
            var options = new StoreOptions();
            LetheStoreOptions.Configure(options, connectionString, createSchema);
            options.Logger(new MartenCommandLog(provider.GetService<ILogger<IDocumentStore>>() ?? NullLogger<IDocumentStore>.Instance));
            return options;
        }).UseLightweightSessions();
        services.AddScoped<IPolicyStore, MartenPolicyStore>();
        services.AddSingleton(_ => new FileSnapshotSigner(signingKeyPath));
        services.AddSingleton<ISnapshotSigner>(sp => sp.GetRequiredService<FileSnapshotSigner>());
        return services;
    }
}
