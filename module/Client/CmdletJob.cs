using System;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace AzTokenBridge.Client;

/// <summary>
/// The job that a cmdlet's -AsJob returns (module/Public/New-AzContainerRegistryToken.ps1), shaped
/// as the autorest-generated Az cmdlets' AsyncJob: a job in the session's job table whose Command
/// is the line the user typed, Location "localhost", and whose streams are the cmdlet's own. The
/// cmdlet runs again, without -AsJob, in a runspace of its own in this process (it shares the
/// server); what it writes is the job's: Receive-Job yields its objects, and its error records as
/// they are (their FullyQualifiedErrorId, category and target), not wrapped in a job failure.
///
/// The job ends Failed when the cmdlet wrote an error or stopped with one (AzTokenBridge's choice:
/// a job whose token was not created is a failed job), Stopped after Stop-Job, else Completed.
/// </summary>
public sealed class CmdletJob : Job
{
    private readonly PowerShell _powerShell;
    private readonly Runspace _runspace;
    private readonly object _stateLock = new();
    private volatile bool _stopping;
    private bool _ended;
    private string _statusMessage = string.Empty;

    // The modules, then the command with its parameters (splatted).
    private const string JobScript = "param([string[]]$Modules, [string]$CommandName, [System.Collections.IDictionary]$Parameters)\n" +
        "foreach ($m in $Modules) { Import-Module -Name $m -ErrorAction Stop }\n" +
        "& $CommandName @Parameters";

    private CmdletJob(string command, string name, Runspace runspace, PowerShell powerShell) : base(command, name)
    {
        _runspace = runspace;
        _powerShell = powerShell;
        // The cmdlet's streams are the job's own (Receive-Job reads them).
        var streams = powerShell.Streams;
        streams.Error = Error;
        streams.Warning = Warning;
        streams.Verbose = Verbose;
        streams.Debug = Debug;
        streams.Progress = Progress;
        streams.Information = Information;
    }

    /// <summary>
    /// Starts `commandName @parameters` in a new runspace that first imports `modules` (paths, in
    /// order), and returns the running job. The caller adds it to the job table
    /// ($PSCmdlet.JobRepository.Add) and writes it.
    /// </summary>
    public static CmdletJob Start(string command, string name, string[] modules, string commandName, IDictionary parameters)
    {
        var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        PowerShell? powerShell = null;
        try
        {
            runspace.Open();
            powerShell = PowerShell.Create();
            powerShell.Runspace = runspace;
            // One statement (a batch of several crashes pwsh when the process exits while it runs).
            powerShell.AddScript(JobScript, useLocalScope: true).AddArgument(modules).AddArgument(commandName).AddArgument(parameters);
            var job = new CmdletJob(command, name, runspace, powerShell);
            job.SetJobState(JobState.Running);
            powerShell.BeginInvoke<PSObject, PSObject>(null, job.Output, null, job.Ended, null);
            return job;
        }
        catch
        {
            powerShell?.Dispose();
            runspace.Dispose();
            throw;
        }
    }

    private void Ended(IAsyncResult result)
    {
        var failed = false;
        try
        {
            _powerShell.EndInvoke(result);
            failed = _powerShell.HadErrors;
        }
        catch (Exception e) when (!_stopping || e is not PipelineStoppedException)
        {
            // A terminating error (e.g. -ErrorAction Stop): its record, as the cmdlet made it.
            var record = (e as IContainsErrorRecord)?.ErrorRecord ?? new ErrorRecord(e, e.GetType().Name, ErrorCategory.NotSpecified, null);
            if (Error.IsOpen) Error.Add(record);
            failed = true;
        }
        catch (PipelineStoppedException)
        {
        }
        finally
        {
            _powerShell.Dispose();
            _runspace.Dispose();
        }
        lock (_stateLock)
        {
            _ended = true;
            _statusMessage = _stopping ? "Stopped" : failed ? "Failed" : "Completed";
            SetJobState(_stopping ? JobState.Stopped : failed ? JobState.Failed : JobState.Completed);
        }
    }

    public override string StatusMessage => _statusMessage;

    public override bool HasMoreData =>
        Output.Count > 0 || Error.Count > 0 || Warning.Count > 0 || Verbose.Count > 0 || Debug.Count > 0 || Progress.Count > 0 || Information.Count > 0;

    public override string Location => "localhost";

    public override void StopJob()
    {
        bool stopNow;
        lock (_stateLock)
        {
            // Ended already: its state stays.
            if (_ended) return;
            stopNow = !_stopping;
            if (stopNow)
            {
                _stopping = true;
                SetJobState(JobState.Stopping);
            }
        }
        if (stopNow)
        {
            try
            {
                _powerShell.BeginStop(null, null);
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
            {
                // It ended meanwhile.
            }
        }
        Finished.WaitOne();
    }
}
