"""The fit's figure."""
from __future__ import annotations

from compact_models.fit.tables import SET_PHASES


def plot_fit(fit):
    """Measured against simulated reads of a `FitResult`, pulse by pulse over every cycle, one panel per phase."""
    from compact_models.io import new_figure

    phases = sorted(set(fit.measured.phase), key=lambda p: (p not in SET_PHASES, p))
    fig, axes = new_figure(1, len(phases), figsize=(5.2 * len(phases), 3.8), squeeze=False)
    for ax, phase in zip(axes[0], phases):
        for frame, style, label in ((fit.measured, dict(marker="o", ls="", ms=3, alpha=0.6), "measured"),
                                    (fit.simulated, dict(ls="-", lw=1.2), "simulated (ngspice, fitted device)")):
            sel = frame[frame.phase == phase]
            for n, (_cyc, grp) in enumerate(sel.groupby("cycle")):
                ax.plot(grp.pulse, grp.conductance_S * 1e6, color="C0" if label == "measured" else "C3",
                        label=label if n == 0 else None, **style)
        stats = fit.report["agreement"].get(phase, {})
        ax.set_title(f"{phase}: RMSE {stats.get('rmse_of_range', float('nan')) * 100:.2f} % of range, "
                     f"$R^2$ {stats.get('r2', float('nan')):.4f}", fontsize=9)
        ax.set_xlabel("pulse number in the phase")
        ax.set_ylabel(r"read conductance $G$ ($\mu$S)")
        ax.legend(fontsize=8)
    fig.suptitle(f"{fit.device.name}: fit of the {fit.report['model']} model to {fit.report['n_cycles']} cycle(s)")
    fig.tight_layout()
    return fig
