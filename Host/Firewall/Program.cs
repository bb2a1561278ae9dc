using Lethe.Firewall;

return await FirewallCli.Run(args, Console.Out, Console.Error);
